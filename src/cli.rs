//! The command line. `serve` is the default; the other commands work on the database directly,
//! so they also work while no server runs.

use std::io::{BufRead, IsTerminal};
use std::path::PathBuf;

use anyhow::{Context, bail};
use clap::{Parser, Subcommand};
use tracing_subscriber::EnvFilter;

use crate::config::{Config, LogFormat, Settings};
use crate::users::Role;
use crate::{App, api_keys, db, users};

#[derive(Debug, Parser)]
#[command(
    name = "hookd",
    version,
    about = "Self-hosted webhook sender: signed, retried, recorded outbound webhooks."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    /// TOML file with settings (keys as the long flags, with underscores)
    #[arg(long, env = "HOOKD_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub settings: Settings,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: API, dashboard and delivery engine (the default)
    Serve,
    /// Manage dashboard users
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API keys
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Create or upgrade the database, then exit
    Migrate,
    /// Write a consistent copy of the database to a new file, also while hookd serves
    Backup {
        /// The file to create; it must not exist yet
        #[arg(long)]
        to: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is prompted for, or read from stdin when it is not a terminal
    Create {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "admin", value_parser = ["admin", "viewer"])]
        role: String,
    },
    /// List users
    List,
    /// Set a user's password (prompted for, or read from stdin)
    SetPassword {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ApiKeyCommand {
    /// Create a key and print it once
    Create {
        #[arg(long)]
        name: String,
        /// Scopes: events:write, webhooks:read, webhooks:write, all (repeatable or comma separated)
        #[arg(long = "scope", value_delimiter = ',', default_value = "all")]
        scopes: Vec<String>,
        /// Bind the key to this tenant (its uid): it then sees and changes only that tenant's
        /// endpoints, events and deliveries
        #[arg(long)]
        tenant: Option<String>,
    },
    /// List keys (never their values)
    List,
    /// Revoke a key by id
    Revoke { id: String },
}

pub fn run(cli: Cli) -> anyhow::Result<()> {
    let file = match &cli.config {
        Some(path) => Settings::from_toml_file(path)?,
        None => Settings::default(),
    };
    let config = Config::from_settings(cli.settings.over(file))?;
    init_tracing(&config);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    rt.block_on(async move {
        match cli.command.unwrap_or(Command::Serve) {
            Command::Serve => serve(config).await,
            Command::Migrate => {
                db::open_with(&config.data_dir, config.durability)
                    .await?
                    .close()
                    .await;
                println!("database in {} is up to date", config.data_dir.display());
                Ok(())
            }
            Command::Backup { to } => backup(config, to).await,
            Command::User(cmd) => user(config, cmd).await,
            Command::ApiKey(cmd) => api_key(config, cmd).await,
        }
    })
}

fn init_tracing(config: &Config) {
    let filter = EnvFilter::try_new(&config.log_level).unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = match config.log_format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("listen: cannot bind {}", config.listen))?;
    let running = App::start(config, listener).await?;
    let stop = running.stop_token();
    tokio::spawn(async move {
        shutdown_signal().await;
        tracing::info!("shutting down: finishing in-flight work");
        stop.cancel();
    });
    running.stopped().await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}

async fn backup(config: Config, to: PathBuf) -> anyhow::Result<()> {
    let db = db::open_with(&config.data_dir, config.durability).await?;
    let bytes = db::backup(&db, &to).await?;
    db.close().await;
    println!("backed up the database to {} ({bytes} bytes)", to.display());
    let key = match config.secret_key {
        Some(_) => "your secret_key setting".to_owned(),
        None => config
            .data_dir
            .join(crate::crypto::KEY_FILE)
            .display()
            .to_string(),
    };
    eprintln!(
        "the signing secrets in it are encrypted with {key}: keep that key too (apart from the \
         backup); without it the endpoints' secrets cannot be used"
    );
    Ok(())
}

async fn user(config: Config, cmd: UserCommand) -> anyhow::Result<()> {
    let db = db::open_with(&config.data_dir, config.durability).await?;
    match cmd {
        UserCommand::Create { email, role } => {
            let role = Role::parse(&role).context("role must be admin or viewer")?;
            let password = read_password()?;
            let user = users::create(&db, &email, &password, role)
                .await
                .map_err(describe)?;
            println!(
                "created {} user {} ({})",
                user.role.as_str(),
                user.email,
                user.id
            );
        }
        UserCommand::List => {
            for u in users::list(&db).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    u.created_at
                );
            }
        }
        UserCommand::SetPassword { email } => {
            let password = read_password()?;
            users::set_password(&db, &email, &password)
                .await
                .map_err(describe)?;
            println!("password changed for {email}");
        }
    }
    db.close().await;
    Ok(())
}

async fn api_key(config: Config, cmd: ApiKeyCommand) -> anyhow::Result<()> {
    let db = db::open_with(&config.data_dir, config.durability).await?;
    match cmd {
        ApiKeyCommand::Create {
            name,
            scopes,
            tenant,
        } => {
            let scopes = api_keys::parse_scopes(&scopes).map_err(describe)?;
            let tenant = match tenant {
                Some(uid) => Some(
                    crate::tenants::existing(&db, "tenant", &uid)
                        .await
                        .map_err(describe)?,
                ),
                None => None,
            };
            let (key, plaintext) = api_keys::create(&db, &name, scopes, tenant)
                .await
                .map_err(describe)?;
            let bound = match &key.tenant {
                Some(t) => format!(" bound to tenant {t}"),
                None => String::new(),
            };
            eprintln!(
                "created API key {} ({}) with scopes {}{bound}; it is shown only now:",
                key.name,
                key.id,
                key.scopes_text()
            );
            println!("{plaintext}");
        }
        ApiKeyCommand::List => {
            for k in api_keys::list(&db).await? {
                let state = if k.revoked_at.is_some() {
                    "revoked"
                } else {
                    "active"
                };
                let used = k
                    .last_used_at
                    .map(|t| t.to_string())
                    .unwrap_or_else(|| "never".into());
                let tenant = k
                    .tenant
                    .as_ref()
                    .map_or_else(|| "team".to_owned(), |t| format!("tenant {t}"));
                println!(
                    "{}\t{}\t{}…\t{}\t{tenant}\t{state}\tlast used {used}",
                    k.id,
                    k.name,
                    k.prefix,
                    k.scopes_text()
                );
            }
        }
        ApiKeyCommand::Revoke { id } => {
            let id = crate::ids::ApiKeyId::parse(&id).context("not an API key id (key_…)")?;
            api_keys::revoke(&db, &id).await.map_err(describe)?;
            println!("revoked {id}");
        }
    }
    db.close().await;
    Ok(())
}

/// Domain errors as one readable line for the terminal.
fn describe(e: crate::error::Error) -> anyhow::Error {
    match e {
        crate::error::Error::Invalid(fields) => {
            anyhow::anyhow!(
                fields
                    .0
                    .iter()
                    .map(|(k, v)| format!("{k}: {v}"))
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        }
        crate::error::Error::Internal(e) => e,
        other => anyhow::anyhow!(other.to_string()),
    }
}

/// A prompt (twice, must match) on a terminal; otherwise one or two lines from stdin.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password: ")?;
        let second = rpassword::prompt_password("Repeat password: ")?;
        if first != second {
            bail!("the passwords do not match");
        }
        return Ok(first);
    }
    let mut lines = std::io::stdin().lock().lines();
    let first = lines.next().transpose()?.context("no password on stdin")?;
    match lines.next().transpose()? {
        Some(second) if !second.is_empty() && second != first => {
            bail!("the two passwords on stdin do not match")
        }
        _ => Ok(first),
    }
}
