//! The `notesd` command line. Exit codes: 0 success, 1 user error (bad input or
//! configuration), 2 usage error, 3 environment failure (database or network).

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Parser, Subcommand, ValueEnum};
use notesd::access::{Role, TokenStatus};
use notesd::address::EmailAddress;
use notesd::app::{Application, StartError};
use notesd::clock::SystemClock;
use notesd::config::{LogFormat, Settings};
use notesd::note::NoteSpec;
use notesd::render::{NoteDocument, Renderer, Templates};
use notesd::service::{PeopleError, Service, SignInError, TokenError, TokenRequest, VerifyError};
use notesd::store::{Backend, BackupError, Store, StoreError};

#[derive(Parser)]
#[command(
    name = "notesd",
    version,
    about = "Drafts, approves and distributes Council NOTE documents"
)]
struct Cli {
    /// Configuration file (TOML) over the built-in defaults; `NOTESD__SECTION__KEY`
    /// environment variables override both.
    #[arg(long, global = true, value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the daemon: HTTP API and workers, until SIGTERM or Ctrl-C.
    Serve,
    /// Validate the configuration and templates; print every problem with its key or
    /// file; exit 1 if any.
    Check,
    /// Render one note from a spec file (JSON or TOML, by extension) to PDF, without a
    /// database. The spec gives its `number` and its codes with counters (`JAI 274`).
    Render {
        /// The note specification: `.json` or `.toml`.
        spec: PathBuf,
        /// Where to write the PDF.
        #[arg(short, long, value_name = "OUT.pdf")]
        output: PathBuf,
        /// Mark every page DRAFT.
        #[arg(long)]
        draft: bool,
    },
    /// Apply database migrations (serve also does this at start).
    Migrate,
    /// Copy the SQLite database, consistently even while the daemon runs, into OUT (a new
    /// file, readable by its owner only). On PostgreSQL, use pg_dump.
    Backup {
        /// Where to write the copy; must not exist yet.
        #[arg(value_name = "OUT")]
        out: PathBuf,
    },
    /// Whether FILE is a note this registry issued, by the SHA-256 of its bytes, with an
    /// intact seal when `seal.pkcs12` is set: exit 0 with its number, version and issue
    /// time; exit 1 with the reason otherwise.
    Verify {
        #[arg(value_name = "FILE.pdf")]
        file: PathBuf,
    },
    /// Make the Presidency's sealing certificate: for now only a self-signed one, for trying
    /// the seal (`seal.pkcs12`) before the qualified certificate arrives.
    SealCert {
        #[command(subcommand)]
        command: SealCertCommand,
    },
    /// Manage API tokens.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Manage the people who may sign in, and the units they act for.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Print a one-time sign-in URL for a person (for set-ups whose mail goes to files).
    SigninLink {
        #[arg(long)]
        email: String,
    },
}

#[derive(Subcommand)]
enum TokenCommand {
    /// Create an API token and print it once; only its hash is stored.
    Create {
        /// Who the token belongs to, recorded on every note it registers.
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// Where notices about this drafter's notes are sent.
        #[arg(long, value_name = "ADDR")]
        email: Option<String>,
        /// A unit whose notes the token acts on (repeatable, e.g. `JAI.1`); a drafter
        /// token without one can act on no note.
        #[arg(long = "unit", value_name = "U")]
        units: Vec<String>,
        /// How long the token lives (e.g. `90d`); without it, until it is revoked.
        #[arg(long, value_name = "LIFE", value_parser = notesd::config::parse_duration)]
        expires: Option<std::time::Duration>,
    },
    /// List the tokens: id, name, role, units, created, expires, last used, status
    /// (never the secret: only its hash is kept).
    List,
    /// Revoke a token: it answers 401 from then on.
    Revoke {
        /// The token's id, as `notesd token list` shows it.
        id: i64,
    },
}

#[derive(Subcommand)]
enum SealCertCommand {
    /// Write a new key and its self-signed certificate to OUT.p12 (PKCS#12, readable by its
    /// owner only), protected by the password in the variable `seal.password_env` names.
    Create {
        /// Self-signed: the only kind notesd makes.
        #[arg(long = "self-signed", value_name = "OUT.p12")]
        self_signed: PathBuf,
        /// The signer's name, as the certificate's common name.
        #[arg(long, default_value = "Presidency of the Council")]
        name: String,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Add a person who may sign in to the web desk.
    Add {
        #[arg(long, value_name = "ADDR")]
        email: String,
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
        /// A unit whose notes the person acts on as a drafter (repeatable, e.g. `JAI.1`).
        #[arg(long = "unit", value_name = "U")]
        units: Vec<String>,
    },
    /// List everyone: email, name, role, units, and whether they are disabled.
    List,
    /// Disable a person: their tokens (those made with their address) end at once.
    Disable {
        #[arg(long, value_name = "ADDR")]
        email: String,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Drafter,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Drafter => Role::Drafter,
            RoleArg::Admin => Role::Admin,
        }
    }
}

/// What went wrong, and which exit code says so.
enum Failure {
    User(String),
    Environment(String),
}

impl From<StoreError> for Failure {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadUrl(m) => Failure::User(format!("database.url: {m}")),
            other => Failure::Environment(other.to_string()),
        }
    }
}

impl From<TokenError> for Failure {
    fn from(e: TokenError) -> Self {
        match e {
            TokenError::Store(s) => s.into(),
            user => Failure::User(user.to_string()),
        }
    }
}

impl From<SignInError> for Failure {
    fn from(e: SignInError) -> Self {
        match e {
            SignInError::Store(s) => s.into(),
            user => Failure::User(user.to_string()),
        }
    }
}

impl From<PeopleError> for Failure {
    fn from(e: PeopleError) -> Self {
        match e {
            PeopleError::Store(s) => s.into(),
            user => Failure::User(user.to_string()),
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match load(&cli) {
        Ok(settings) => match tokio::runtime::Runtime::new() {
            Ok(runtime) => runtime.block_on(run(cli.command, settings)),
            Err(e) => Err(Failure::Environment(format!(
                "cannot start the runtime: {e}"
            ))),
        },
        Err(e) => Err(e),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::User(message)) => {
            eprintln!("notesd: {message}");
            ExitCode::from(1)
        }
        Err(Failure::Environment(message)) => {
            eprintln!("notesd: {message}");
            ExitCode::from(3)
        }
    }
}

fn load(cli: &Cli) -> Result<Settings, Failure> {
    Settings::load(cli.config.as_deref()).map_err(|e| Failure::User(e.to_string()))
}

async fn run(command: Command, settings: Settings) -> Result<(), Failure> {
    match command {
        Command::Check => {
            let dir = settings.templates.dir.as_deref();
            let templates = Templates::load(dir).map_err(|e| Failure::User(e.to_string()))?;
            notesd::mail::templates(&settings)
                .and_then(|_| notesd::http::approve::templates(dir))
                .map_err(|e| Failure::User(e.to_string()))?;
            println!(
                "templates: {}",
                templates.names().into_iter().collect::<Vec<_>>().join(", ")
            );
            println!(
                "configuration is valid: database {}, {} list(s), {} code(s), {} approval step(s)",
                notesd::store::Backend::of_url(settings.database.url.expose())
                    .map(|b| format!("{b:?}").to_lowercase())
                    .unwrap_or_default(),
                settings.lists.len(),
                settings.codes.len(),
                settings.approval.steps.len()
            );
            if let Ok(Some(seal)) = notesd::config::load_seal(&settings.seal) {
                println!(
                    "issued PDFs are sealed by {}, whose certificate expires {}",
                    seal.subject(),
                    seal.expires()
                );
            }
            for sentence in unscoped_drafters(&settings).await? {
                println!("{sentence}");
            }
            Ok(())
        }
        Command::Migrate => {
            let store = Store::connect(settings.database.url.expose()).await?;
            store.migrate().await?;
            store.close().await;
            eprintln!("database is up to date");
            Ok(())
        }
        Command::Token { command } => tokens(command, &settings).await,
        Command::User { command } => users(command, &settings).await,
        Command::Backup { out } => backup(&settings, &out).await,
        Command::SigninLink { email } => signin_link(&settings, &email).await,
        Command::Verify { file } => verify(&settings, &file).await,
        Command::SealCert {
            command: SealCertCommand::Create { self_signed, name },
        } => seal_cert(&settings, &self_signed, &name),
        Command::Serve => serve(settings).await,
        Command::Render {
            spec,
            output,
            draft,
        } => render(&settings, &spec, &output, draft),
    }
}

/// `--email ADDR` as given on the command line.
fn email_arg(email: &str) -> Result<EmailAddress, Failure> {
    email
        .parse()
        .map_err(|e| Failure::User(format!("--email: {e}")))
}

/// The use cases over the configured database, migrated, for one command.
async fn service(settings: &Settings) -> Result<Service, Failure> {
    let store = Store::connect(settings.database.url.expose()).await?;
    store.migrate().await?;
    Service::new(store, settings, Arc::new(SystemClock)).map_err(|e| Failure::User(e.to_string()))
}

/// `notesd token create|list|revoke`.
async fn tokens(command: TokenCommand, settings: &Settings) -> Result<(), Failure> {
    if let TokenCommand::Create {
        email: Some(email), ..
    } = &command
    {
        // Refused before the database is touched: nothing is created for a bad command.
        email_arg(email)?;
    }
    let service = service(settings).await?;
    let result = match command {
        TokenCommand::Create {
            name,
            role,
            email,
            units,
            expires,
        } => {
            let email = email.as_deref().map(email_arg).transpose()?;
            let role = Role::from(role);
            let (id, token) = service
                .create_token(TokenRequest {
                    name: &name,
                    role,
                    email: email.as_ref(),
                    units: &units,
                    expires_in: expires,
                })
                .await?;
            println!("{token}");
            eprintln!(
                "token {id} for {} ({role}) created; it is shown only this once",
                name.trim()
            );
            Ok(())
        }
        TokenCommand::List => {
            let now = jiff::Timestamp::now();
            for t in service.tokens().await? {
                let status = match t.status(now) {
                    TokenStatus::Revoked(at) => format!("revoked {at}"),
                    TokenStatus::Expired(_) => "expired".to_owned(),
                    TokenStatus::Active => "active".to_owned(),
                };
                println!(
                    "{}\t{}\t{}\t{}\tcreated {}\texpires {}\tlast used {}\t{status}",
                    t.id,
                    t.name,
                    t.role,
                    units_column(&t.units),
                    t.created,
                    t.expires.map_or("never".to_owned(), |at| at.to_string()),
                    t.last_used.map_or("never".to_owned(), |at| at.to_string()),
                );
            }
            Ok(())
        }
        TokenCommand::Revoke { id } => {
            service.revoke_token(id).await?;
            eprintln!("token {id} revoked: it answers 401 from now on");
            Ok(())
        }
    };
    service.store().close().await;
    result
}

/// `notesd user add|list|disable`.
async fn users(command: UserCommand, settings: &Settings) -> Result<(), Failure> {
    if let UserCommand::Add { email, .. } | UserCommand::Disable { email } = &command {
        // Refused before the database is touched: nothing is created for a bad command.
        email_arg(email)?;
    }
    let service = service(settings).await?;
    let result = match command {
        UserCommand::Add {
            email,
            name,
            role,
            units,
        } => {
            let email = email_arg(&email)?;
            let id = service.add_user(&email, &name, role.into(), &units).await?;
            eprintln!("person {id} ({email}) added");
            Ok(())
        }
        UserCommand::List => {
            for u in service.users().await? {
                let state = if u.disabled { "disabled" } else { "enabled" };
                println!(
                    "{}\t{}\t{}\t{}\t{state}",
                    u.email,
                    u.name,
                    u.role,
                    units_column(&u.units)
                );
            }
            Ok(())
        }
        UserCommand::Disable { email } => {
            let email = email_arg(&email)?;
            let ended = service.disable_user(&email).await?;
            eprintln!("{email} disabled; {ended} token(s) ended");
            Ok(())
        }
    };
    service.store().close().await;
    result
}

/// `notesd signin-link --email ADDR`: the URL on stdout, alone, for scripts.
async fn signin_link(settings: &Settings, email: &str) -> Result<(), Failure> {
    let email = email_arg(email)?;
    let service = service(settings).await?;
    let result = service.signin_link(&email).await;
    service.store().close().await;
    println!("{}", result?);
    Ok(())
}

/// Units as one column of a listing: `JAI.1,COSI.2`, or `-` for none.
fn units_column(units: &[String]) -> String {
    if units.is_empty() {
        "-".to_owned()
    } else {
        units.join(",")
    }
}

/// What `notesd check` says of drafters with no unit, read from the database if there is
/// one yet (nothing is created or migrated).
async fn unscoped_drafters(settings: &Settings) -> Result<Vec<String>, Failure> {
    let Some(store) = Store::open_existing(settings.database.url.expose()).await? else {
        return Ok(Vec::new());
    };
    let service = Service::new(store.clone(), settings, Arc::new(SystemClock))
        .map_err(|e| Failure::User(e.to_string()))?;
    let sentences = service.unscoped_drafters().await;
    store.close().await;
    Ok(sentences?)
}

/// `notesd render SPEC -o OUT.pdf`: no database, no network.
fn render(
    settings: &Settings,
    spec_path: &Path,
    output: &Path,
    draft: bool,
) -> Result<(), Failure> {
    let user = |message: String| Failure::User(format!("{}: {message}", spec_path.display()));
    let text = std::fs::read_to_string(spec_path).map_err(|e| user(e.to_string()))?;
    let value: serde_json::Value = match spec_path.extension().and_then(|e| e.to_str()) {
        Some("json") => {
            serde_json::from_str(&text).map_err(|e| user(format!("not valid JSON: {e}")))?
        }
        Some("toml") => toml::from_str(&text).map_err(|e| user(format!("not valid TOML: {e}")))?,
        _ => return Err(user("a spec file ends in .json or .toml".to_owned())),
    };
    let templates = Templates::load(settings.templates.dir.as_deref())
        .map_err(|e| Failure::User(e.to_string()))?;
    let vocabulary = settings.vocabulary(templates.names());
    let now = jiff::Timestamp::now();
    let note =
        NoteSpec::standalone_from_json(value, &vocabulary, notesd::clock::brussels_date(now))
            .map_err(|e| user(e.to_string()))?;
    let document = NoteDocument {
        spec: &note.spec,
        number: &note.number,
        codes: &note.codes,
    };
    let bytes = Renderer::new(templates, settings.render.max_pages())
        .render(&document, draft, now)
        .map_err(|e| user(e.to_string()))?;
    // Write beside the target and rename, so a reader never sees half a PDF.
    let partial = output.with_extension("pdf.partial");
    std::fs::write(&partial, &bytes)
        .and_then(|()| std::fs::rename(&partial, output))
        .map_err(|e| Failure::User(format!("{}: {e}", output.display())))?;
    Ok(())
}

/// `notesd verify FILE.pdf`: what `POST /api/verify` would answer, for the operator.
async fn verify(settings: &Settings, file: &Path) -> Result<(), Failure> {
    let bytes =
        std::fs::read(file).map_err(|e| Failure::User(format!("{}: {e}", file.display())))?;
    let service = service(settings).await?;
    let found = service.verify(bytes).await;
    service.store().close().await;
    let found = found.map_err(|e| match e {
        VerifyError::NotPdf => Failure::User(format!("{}: {e}", file.display())),
        VerifyError::Store(store) => store.into(),
        VerifyError::Service(other) => Failure::Environment(other.to_string()),
    })?;
    let reason = found.reason.clone().unwrap_or_default();
    let accepted = found.accepted();
    let (Some(number), Some(version), Some(issued_at), true) =
        (found.number, found.version, found.issued_at, accepted)
    else {
        return Err(Failure::User(format!(
            "{}: {reason} (SHA-256 {})",
            file.display(),
            found.sha256
        )));
    };
    println!(
        "{number}, version {version}, issued {} (Brussels time)",
        notesd::clock::brussels_time(issued_at)
    );
    println!("SHA-256 {}", found.sha256);
    if found.sealed {
        println!("seal intact");
    }
    if !reason.is_empty() {
        println!("{reason}");
    }
    Ok(())
}

/// `notesd seal-cert create --self-signed OUT.p12`: a new file only, never over an existing
/// key, readable by its owner only.
fn seal_cert(settings: &Settings, out: &Path, name: &str) -> Result<(), Failure> {
    let variable = &settings.seal.password_env;
    let password = std::env::var(variable)
        .ok()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| {
            Failure::User(format!(
                "set the environment variable {variable} (seal.password_env) to the password \
                 that will protect {}",
                out.display()
            ))
        })?;
    if name.trim().is_empty() {
        return Err(Failure::User(
            "--name: the signer's name is empty".to_owned(),
        ));
    }
    let p12 = notesd::seal::self_signed(name, &password)
        .map_err(|e| Failure::Environment(e.to_string()))?;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, notesd::files::PRIVATE_FILE);
    let written = options.open(out).and_then(|mut file| {
        // Created here and not complete: not left for a later run to refuse to replace.
        std::io::Write::write_all(&mut file, &p12)
            .and_then(|()| file.sync_all())
            .inspect_err(|_| {
                let _ = std::fs::remove_file(out);
            })
    });
    written.map_err(|e| match e.kind() {
        std::io::ErrorKind::AlreadyExists => Failure::User(format!(
            "{}: already exists; a sealing key is never overwritten",
            out.display()
        )),
        _ => Failure::User(format!("{}: {e}", out.display())),
    })?;
    eprintln!(
        "self-signed sealing certificate for CN={name}, valid three years, written to {}",
        out.display()
    );
    Ok(())
}

/// `notesd backup OUT`: PostgreSQL is named before any connection is tried.
async fn backup(settings: &Settings, out: &Path) -> Result<(), Failure> {
    let url = settings.database.url.expose();
    if Backend::of_url(url).map_err(StoreError::from)? == Backend::Postgres {
        return Err(Failure::User(BackupError::Postgres.to_string()));
    }
    let store = Store::connect(url).await?;
    let copied = store.backup(out).await;
    store.close().await;
    copied.map_err(|e| match e {
        BackupError::Copy { .. } => Failure::Environment(e.to_string()),
        _ => Failure::User(e.to_string()),
    })?;
    eprintln!("database copied to {}", out.display());
    Ok(())
}

async fn serve(settings: Settings) -> Result<(), Failure> {
    init_logging(settings.log.format);
    let app = Application::build(&settings, Arc::new(SystemClock))
        .await
        .map_err(|e| match e {
            StartError::Store(s) => Failure::from(s),
            e @ (StartError::Templates(_) | StartError::Setup(_) | StartError::Mail(_)) => {
                Failure::User(e.to_string())
            }
            bind @ StartError::Bind { .. } => Failure::Environment(bind.to_string()),
        })?;
    tracing::info!(
        bind = %settings.http.bind,
        port = app.port(),
        backend = ?app.service().store().backend(),
        "notesd listening"
    );
    app.run_until(shutdown_signal())
        .await
        .map_err(|e| Failure::Environment(format!("the HTTP server failed: {e}")))?;
    tracing::info!("notesd stopped");
    Ok(())
}

fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("notesd=info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    if format == LogFormat::Json {
        builder.json().init();
    } else {
        builder.init();
    }
}

/// Completes on SIGTERM or SIGINT (Ctrl-C).
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    tokio::select! {
        () = interrupt => tracing::info!("Ctrl-C received, stopping"),
        () = terminate => tracing::info!("SIGTERM received, stopping"),
    }
}
