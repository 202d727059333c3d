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
    let (log_guard, log_rx) = double_agent::logging::init();
    let result = double_agent::run::main(cli, log_rx);
    // The log is flushed before any exit, the one a signal asks for included.
    drop(log_guard);
    match double_agent::signals::received() {
        Some(signo) if result.is_ok() => {
            std::process::exit(double_agent::signals::exit_code(signo))
        }
        _ => result,
    }
}
