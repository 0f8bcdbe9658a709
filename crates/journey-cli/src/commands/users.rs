//! `journey users add|list|remove|reset-password`: the people who sign in to the
//! console of `journey serve`, kept in its database (the same `--project` and
//! `--database` as `journey serve`; it may be running). Passwords are read from a
//! prompt on a terminal, else from stdin, never from the command line (docs/people.md).

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use journey_server::people::{self, Role};
use journey_store::{AuditEntry, PersonChange, Store};

use super::serve::Database;
use crate::Io;

#[derive(clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Command,
    /// The project directory (its `journey.db` is the default database).
    #[arg(long, default_value = ".", global = true)]
    project: PathBuf,
    /// The database `journey serve` uses: `sqlite://PATH` or `postgres://…`.
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum Command {
    /// Add a person; the password is asked for (or read from stdin).
    Add {
        name: String,
        /// admin, builder or operator.
        #[arg(long)]
        role: String,
    },
    /// List the people, their roles and whether sign-in is locked.
    List,
    /// Remove a person; their sessions end.
    Remove { name: String },
    /// Set a new password (asked for, or read from stdin); it lifts a lock and ends the
    /// person's sessions.
    ResetPassword { name: String },
}

pub fn run(args: Args, io: &mut Io<'_>) -> Result<u8, String> {
    // Everything that can be refused without the database is refused first.
    if args.database.is_none() && !args.project.join("journey.toml").is_file() {
        return Err(format!(
            "`{}` has no journey.toml: pass the --project or --database that `journey serve` \
             uses",
            args.project.display()
        ));
    }
    let database = Database::parse(args.database.as_deref(), &args.project)?;
    // Only adding the first person may make the database; anything else in the wrong
    // place would leave an empty one behind.
    if let Database::Sqlite(path) = &database
        && !matches!(args.command, Command::Add { .. })
        && !path.exists()
    {
        return Err(format!(
            "there is no database at `{}`: `journey serve` or `journey users add` makes it",
            path.display()
        ));
    }
    let change = match &args.command {
        Command::Add { name, role } => {
            people::check_name(name)?;
            let role = Role::parse(role)?;
            let password = read_password(name)?;
            Some(PersonChange::Add {
                name: name.clone(),
                role: role.as_str().to_owned(),
                password_hash: people::hash_password(&password)?,
            })
        }
        Command::List => None,
        Command::Remove { name } => Some(PersonChange::Remove { name: name.clone() }),
        Command::ResetPassword { name } => {
            let password = read_password(name)?;
            Some(PersonChange::SetPassword {
                name: name.clone(),
                password_hash: people::hash_password(&password)?,
            })
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    let (store, sqlite) = database.open(&runtime, None)?;
    let result = runtime.block_on(async {
        match change {
            Some(change) => apply(&*store, change).await,
            None => list(&*store).await,
        }
    });
    if let Some(sqlite) = sqlite {
        sqlite.close();
    }
    io.print(&result?)?;
    Ok(0)
}

async fn apply(store: &dyn Store, change: PersonChange) -> Result<String, String> {
    let name = change.name().to_owned();
    let (action, detail, done, missing) = match &change {
        PersonChange::Add { role, .. } => (
            "person_added",
            format!("role {role}"),
            format!("added {name} ({role})\n"),
            format!(
                "`{name}` already exists: `journey users reset-password {name}` sets a new \
                 password"
            ),
        ),
        PersonChange::Remove { .. } => (
            "person_removed",
            String::new(),
            format!("removed {name}; their sessions ended\n"),
            unknown(&name),
        ),
        PersonChange::SetPassword { .. } => (
            "password_reset",
            String::new(),
            format!("set a new password for {name}; their sessions ended\n"),
            unknown(&name),
        ),
    };
    let audit = AuditEntry {
        actor: format!("cli:{}", system_user()),
        action: action.to_owned(),
        subject: Some(name),
        address: Some("command line".to_owned()),
        detail,
    };
    let now = now(store).await?;
    match store.change_person(change, audit, now).await {
        Ok(true) => Ok(done),
        Ok(false) => Err(missing),
        Err(e) => Err(e.to_string()),
    }
}

fn unknown(name: &str) -> String {
    format!("no one is called `{name}` (`journey users list` shows who is)")
}

async fn list(store: &dyn Store) -> Result<String, String> {
    let everyone = store.people().await.map_err(|e| e.to_string())?;
    if everyone.is_empty() {
        return Ok("no one yet: `journey users add NAME --role admin` adds the first\n".into());
    }
    let now = now(store).await?;
    let width = everyone
        .iter()
        .map(|p| p.name.chars().count())
        .max()
        .unwrap_or(0)
        .max(4);
    let mut out = format!("{:width$}  {:8}  {:10}  SIGN-IN\n", "NAME", "ROLE", "ADDED");
    for person in &everyone {
        let added = timestamp(person.created_at).strftime("%Y-%m-%d");
        let state = match person.locked_until {
            Some(until) if until > now => {
                format!(
                    "locked until {}",
                    timestamp(until).strftime("%Y-%m-%d %H:%M UTC")
                )
            }
            _ => "open".to_owned(),
        };
        out.push_str(&format!(
            "{:width$}  {:8}  {added:10}  {state}\n",
            person.name, person.role
        ));
    }
    Ok(out)
}

fn timestamp(millis: i64) -> jiff::Timestamp {
    jiff::Timestamp::from_millisecond(millis).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

/// The store's clock when several machines share it, else this machine's.
async fn now(store: &dyn Store) -> Result<i64, String> {
    let shared = store.clock().await.map_err(|e| e.to_string())?;
    Ok(shared.unwrap_or_else(|| jiff::Timestamp::now().as_millisecond()))
}

/// Who ran the command, for the audit log: the login name, else (a service or a
/// container without one) the user id the kernel reports.
fn system_user() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|u| !u.is_empty()))
        .or_else(|| {
            let status = std::fs::read_to_string("/proc/self/status").ok()?;
            let uid = status.lines().find_map(|l| l.strip_prefix("Uid:"))?;
            Some(format!("uid {}", uid.split_whitespace().next()?))
        })
        .unwrap_or_else(|| "unknown".to_owned())
}

/// A new password: typed twice without echo on a terminal, else the one line on stdin.
fn read_password(name: &str) -> Result<String, String> {
    let password = if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password(format!("New password for {name}: "))
            .map_err(|e| format!("cannot read the password: {e}"))?;
        people::check_password(&first)?;
        let again = rpassword::prompt_password("Type it again: ")
            .map_err(|e| format!("cannot read the password: {e}"))?;
        if again != first {
            return Err("the two passwords differ: nothing was changed".to_owned());
        }
        first
    } else {
        let mut text = String::new();
        std::io::stdin()
            .take(people::MAX_PASSWORD_BYTES as u64 + 3)
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read the password from stdin: {e}"))?;
        let line = text
            .strip_suffix('\n')
            .map(|t| t.strip_suffix('\r').unwrap_or(t))
            .unwrap_or(&text);
        if line.contains('\n') {
            return Err(
                "stdin holds more than one line: give the password alone on one line".to_owned(),
            );
        }
        line.to_owned()
    };
    people::check_password(&password)?;
    Ok(password)
}
