//! The key of keyed transformers: read from `[secret] env` (default
//! `DUMPMASK_SECRET`), `[secret] file`, or made at random for one run.
//! Never taken from the command line; messages name where the key came
//! from, never the key.

use std::path::Path;

use super::spec::SecretSpec;
use crate::error::display_path;

/// The environment variable the secret is read from by default.
pub const DEFAULT_SECRET_ENV: &str = "DUMPMASK_SECRET";

/// Reads the secret: `[secret] env` (default `DUMPMASK_SECRET`) or
/// `[secret] file`. Returns the bytes and where they came from (for
/// messages; never the secret itself).
pub(super) fn read_secret(
    spec: Option<&SecretSpec>,
    base: Option<&Path>,
) -> Result<(Vec<u8>, String), String> {
    match spec {
        Some(SecretSpec {
            env: Some(_),
            file: Some(_),
            ..
        }) => Err("[secret] takes `env` or `file`, not both".into()),
        Some(SecretSpec {
            random: true,
            env,
            file,
        }) => {
            if env.is_some() || file.is_some() {
                return Err("[secret] random = true takes neither `env` nor `file`".into());
            }
            let mut key = vec![0u8; 32];
            std::fs::File::open("/dev/urandom")
                .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
                .map_err(|e| format!("cannot read random bytes for the per-run key: {e}"))?;
            Ok((key, "a random per-run key".to_string()))
        }
        Some(SecretSpec { file: Some(f), .. }) => {
            let path = match base {
                Some(b) if f.is_relative() => b.join(f),
                _ => f.clone(),
            };
            let mut bytes = std::fs::read(&path)
                .map_err(|e| format!("cannot read the secret file {}: {e}", display_path(&path)))?;
            while bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                bytes.pop();
            }
            if bytes.is_empty() {
                return Err(format!("the secret file {} is empty", display_path(&path)));
            }
            Ok((bytes, format!("file {}", display_path(&path))))
        }
        _ => {
            let var = spec
                .and_then(|s| s.env.clone())
                .unwrap_or_else(|| DEFAULT_SECRET_ENV.to_string());
            match std::env::var_os(&var) {
                Some(v) if !v.is_empty() => {
                    use std::os::unix::ffi::OsStrExt;
                    Ok((v.as_bytes().to_vec(), format!("environment variable {var}")))
                }
                _ => Err(format!(
                    "keyed transformers need a secret, and the environment variable {var} is not set or empty"
                )),
            }
        }
    }
}
