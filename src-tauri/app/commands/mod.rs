//! The Tauri commands, one module per domain. Each command is a few lines: take the state,
//! call one core function, map its error to a `Problem`.

pub mod idps;
pub mod sync;
pub mod test_configuration;
