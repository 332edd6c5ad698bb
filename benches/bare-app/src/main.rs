//! A bare Tauri 2 app, the floor of `make bench`'s start-up and memory benchmark: one window
//! showing a static "hello", the same plugins as ECA Admin, and one SQLite connection opened
//! (so rusqlite is linked and used as the app uses it). Its page calls [`hello_shown`] after
//! its first paint, as ECA Admin's list calls `list_shown`; benches/startup.py times that line.

/// What the start-up line says; benches/startup.py looks for the same words in both apps.
const HELLO_SHOWN: &str = "start-up: the hello page is painted and interactive";

#[tauri::command]
fn hello_shown() {
    eprintln!("{HELLO_SHOWN}");
}

fn main() {
    let db = rusqlite::Connection::open_in_memory().expect("an in-memory SQLite database opens");
    let version: String = db
        .query_row("select sqlite_version()", [], |row| row.get(0))
        .expect("SQLite answers");
    eprintln!("bare-app: SQLite {version}");
    tauri::Builder::default()
        .plugin(tauri_plugin_single_instance::init(|_, _, _| {}))
        .plugin(tauri_plugin_deep_link::init())
        .invoke_handler(tauri::generate_handler![hello_shown])
        .run(tauri::generate_context!())
        .expect("the bare app runs");
}
