//! double-agent: parse the command line, start logging (to a file), run.

fn main() -> color_eyre::Result<()> {
    color_eyre::install()?;
    let cli = double_agent::run::parse();
    let (_log_guard, log_rx) = double_agent::logging::init();
    double_agent::run::main(cli, log_rx)
}
