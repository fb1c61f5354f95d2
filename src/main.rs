use clap::Parser;

fn main() -> std::process::ExitCode {
    let cli = hookd::cli::Cli::parse();
    match hookd::cli::run(cli) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("hookd: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
