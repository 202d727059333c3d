//! double-agent: parse the command line, start logging (to a file), run.

use std::io::IsTerminal;
use std::process::ExitCode;

fn main() -> ExitCode {
    double_agent::process::procstat::mark_start();
    // No backtrace captured for every error report; RUST_LIB_BACKTRACE=1 brings it back (to the
    // log) for developers.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    // Colour only for a person at a terminal who has not asked for none (no-color.org).
    let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
    let colour = std::io::stderr().is_terminal() && !no_color;
    let theme = if colour {
        color_eyre::config::Theme::dark()
    } else {
        color_eyre::config::Theme::new()
    };
    // Panics are bugs: they keep color-eyre's report, source location included.
    if let Err(e) = color_eyre::config::HookBuilder::default()
        .display_env_section(false)
        .theme(theme)
        .install()
    {
        eprintln!("warning: {e}");
    }
    let cli = double_agent::run::parse();
    let (log_guard, log_rx) = double_agent::process::logging::init();
    let result = double_agent::run::main(cli, log_rx);
    let code = match (&result, double_agent::process::signals::received()) {
        (Ok(()), Some(signo)) => {
            ExitCode::from(double_agent::process::signals::exit_code(signo) as u8)
        }
        (Ok(()), None) => ExitCode::SUCCESS,
        (Err(report), _) => {
            // A refused config, a refused live host, a file that is not there: a sentence for
            // the trader. Where in the source it was raised goes to the log, for a bug report.
            tracing::error!("{}", strip_ansi(&format!("{report:?}")));
            let lead = if colour {
                "\u{1b}[1;31merror:\u{1b}[0m"
            } else {
                "error:"
            };
            eprintln!("{lead} {}", sentence(report));
            ExitCode::FAILURE
        }
    };
    // The log is flushed before any exit, the one a signal asks for included.
    drop(log_guard);
    code
}

/// The error and its causes in one line, a cause left out when its text is already said (most
/// of our errors quote their source).
fn sentence(report: &color_eyre::eyre::Report) -> String {
    let mut out = String::new();
    for cause in report.chain() {
        let text = cause.to_string();
        if out.is_empty() {
            out = text;
        } else if !out.contains(&text) {
            out = format!("{out}: {text}");
        }
    }
    out
}

/// The report without its escape codes, for the log file.
fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters, ended by a letter.
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}
