//! Files that hold LIMITE content or secrets (the `.eml` files of `mail.dir`, the SQLite
//! database and its `-wal` and `-shm`): readable by the daemon's user only. Modes are set
//! explicitly, not left to the umask, which a service manager may set to 022.

use std::io;
use std::path::Path;

#[cfg(unix)]
use std::os::unix::fs::PermissionsExt;

/// A file only its owner may read or write.
pub const PRIVATE_FILE: u32 = 0o600;
/// A folder only its owner may enter.
pub const PRIVATE_DIR: u32 = 0o700;

/// Creates `dir` and its missing parents, each folder created here 0700. Folders that
/// already exist keep their mode: an operator's `/var/lib` or `/tmp` is not ours to change.
pub fn create_private_dir(dir: &Path) -> io::Result<()> {
    // A relative path ends in "", the working folder: never ours to create or change.
    let missing: Vec<&Path> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && !d.exists())
        .collect();
    std::fs::create_dir_all(dir)?;
    for created in missing {
        set_mode(created, PRIVATE_DIR)?;
    }
    Ok(())
}

/// Writes `bytes` to a new file at `path`, mode 0600 from its creation on. Whatever was
/// at `path` is removed first and the file is created exclusively, so that a symbolic link
/// planted there (in a `mail.dir` others may write to) is replaced, never followed: the
/// file it points to is neither truncated nor made 0600.
pub async fn write_private(path: &Path, bytes: &[u8]) -> io::Result<()> {
    use tokio::io::AsyncWriteExt;
    match tokio::fs::remove_file(path).await {
        Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
        _ => {}
    }
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(PRIVATE_FILE);
    let mut file = options.open(path).await?;
    // The umask may have taken bits off at creation: set on the open file, not by path.
    #[cfg(unix)]
    file.set_permissions(std::fs::Permissions::from_mode(PRIVATE_FILE))
        .await?;
    file.write_all(bytes).await?;
    file.flush().await
}

/// Sets `path`'s permission bits (nothing on systems without them).
pub fn set_mode(path: &Path, mode: u32) -> io::Result<()> {
    #[cfg(unix)]
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[tokio::test]
    async fn folders_created_and_files_written_are_private() {
        let root = tempfile::tempdir().unwrap();
        set_mode(root.path(), 0o755).unwrap();
        let dir = root.path().join("a/b");
        create_private_dir(&dir).unwrap();
        assert_eq!(
            mode(root.path()),
            0o755,
            "an existing folder keeps its mode"
        );
        assert_eq!(mode(&root.path().join("a")), PRIVATE_DIR);
        assert_eq!(mode(&dir), PRIVATE_DIR);
        let relative = format!("target-files-test-{}", std::process::id());
        create_private_dir(Path::new(&relative).join("spool").as_path()).unwrap();
        assert_eq!(mode(Path::new(&relative)), PRIVATE_DIR);
        std::fs::remove_dir_all(&relative).unwrap();
        let file = dir.join("x.eml");
        std::fs::write(&file, b"old").unwrap();
        set_mode(&file, 0o644).unwrap();
        write_private(&file, b"new").await.unwrap();
        assert_eq!(mode(&file), PRIVATE_FILE);
        assert_eq!(std::fs::read(&file).unwrap(), b"new");
    }
}
