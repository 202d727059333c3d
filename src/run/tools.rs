//! The subcommands that need no session: `config init|show|path`, `completions`, `man`.

use std::io::Write;

use color_eyre::eyre::{bail, Result, WrapErr};

use crate::run::cli::{Cli, ConfigWhat};

/// `double-agent config …`.
pub fn config(cli: &Cli, what: &ConfigWhat) -> Result<()> {
    match what {
        ConfigWhat::Init { force } => {
            let Some(path) = cli.config.clone().or_else(crate::config::default_path) else {
                bail!("no config dir on this system: name a file with --config FILE");
            };
            if path.exists() && !force {
                bail!(
                    "{} exists already; `double-agent config init --force` replaces it",
                    path.display()
                );
            }
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .wrap_err_with(|| format!("cannot create {}", dir.display()))?;
            }
            std::fs::write(&path, crate::config::show::starter())
                .wrap_err_with(|| format!("cannot write {}", path.display()))?;
            println!("wrote {}", path.display());
            Ok(())
        }
        ConfigWhat::Show => {
            let merged = crate::run::merged_config(cli)?;
            // The same checks a run makes: a setting that would be refused is not "in effect".
            crate::config::Config::from_merged(&merged)?;
            let text = crate::config::show::render(&merged, |v| std::env::var_os(v).is_some());
            print_or_pipe_closed(&text)
        }
        ConfigWhat::Path => {
            match crate::config::default_path() {
                Some(p) => println!("{}", p.display()),
                None => bail!("no config dir on this system"),
            }
            Ok(())
        }
    }
}

/// `double-agent completions SHELL`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    let mut cmd = crate::run::cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut cmd, "double-agent", &mut out);
    print_or_pipe_closed(&String::from_utf8_lossy(&out))
}

/// `double-agent man`: the manual page, from the same definitions as `--help`.
pub fn man() -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::run::cli::command()).render(&mut out)?;
    print_or_pipe_closed(&String::from_utf8_lossy(&out))
}

fn print_or_pipe_closed(text: &str) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|_| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        r => r.wrap_err("writing to stdout"),
    }
}
