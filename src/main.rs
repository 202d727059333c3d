//! double-agent: parse the command line, start logging (to a file), run.

fn main() -> color_eyre::Result<()> {
    double_agent::procstat::mark_start();
    // A refused config or a refused live host is a message for a trader, not a stack trace;
    // RUST_LIB_BACKTRACE=1 brings the trace back for developers. Panics keep theirs.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .install()?;
    let cli = double_agent::run::parse();
    let (_log_guard, log_rx) = double_agent::logging::init();
    double_agent::run::main(cli, log_rx)
}
