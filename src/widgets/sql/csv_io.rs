//! CSV in and out: any result downloads as CSV (in the order on screen), and a CSV file or
//! pasted text becomes a scratch table, its column types inferred by the core's CSV reader.

use super::store::SqlAction;
use super::use_sql;
use crate::widgets::form::{bind, bind_text};
use crate::widgets::hooks::{use_message, use_text};
use lab::sql::csv::{from_csv, to_csv, CSV_BYTES_MAX};
use lab::sql::{SqlError, Table};
use std::rc::Rc;
use web_sys::HtmlInputElement;
use yew::prelude::*;

/// The name of the downloaded result.
pub const EXPORT_FILE_NAME: &str = "flowlab-result.csv";
/// Longest table name.
pub const TABLE_NAME_MAX: usize = 63;

/// Saves `table` as a CSV download.
pub fn export_csv(table: &Table) -> Result<(), String> {
    crate::files::download(EXPORT_FILE_NAME, "text/csv", &to_csv(table))
}

/// Checks a new table's name: a plain SQL name, not taken.
pub fn check_table_name(name: &str, taken: impl Fn(&str) -> bool) -> Result<String, String> {
    let name = name.trim();
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_');
    if name.is_empty() {
        Err("give the table a name".into())
    } else if !plain || name.len() > TABLE_NAME_MAX {
        Err(format!(
            "\"{name}\" is not a plain table name: use letters, digits and _ (up to {TABLE_NAME_MAX}), starting with a letter"
        ))
    } else if taken(name) {
        Err(format!(
            "a table named \"{name}\" exists already: pick another name"
        ))
    } else {
        Ok(name.to_ascii_lowercase())
    }
}

/// A table name from a file name: "Sales 2024.csv" gives "sales_2024".
pub fn name_from_file(file_name: &str) -> String {
    let stem = file_name
        .rsplit_once('.')
        .map_or(file_name, |(stem, _)| stem);
    let mut name: String = stem
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() {
                c.to_ascii_lowercase()
            } else {
                '_'
            }
        })
        .take(TABLE_NAME_MAX)
        .collect();
    if !name.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        name.insert(0, 't');
        name.truncate(TABLE_NAME_MAX);
    }
    name
}

fn csv_error(e: &SqlError) -> String {
    match &e.hint {
        Some(hint) => format!("{} ({hint})", e.message),
        None => e.message.clone(),
    }
}

/// Imports CSV text as a scratch table, with errors at the form.
#[component]
pub fn CsvImport() -> Html {
    let lab = use_sql();
    let name = use_text("my_table");
    let pasted = use_text("");
    let error = use_message();
    let import = {
        let (lab, error) = (lab.clone(), error.clone());
        Rc::new(move |name: String, bytes: &[u8]| {
            let checked = check_table_name(&name, |n| lab.session.table(n).is_some());
            let table = checked.and_then(|name| {
                from_csv(bytes)
                    .map(|t| (name, t))
                    .map_err(|e| csv_error(&e))
            });
            match table {
                Ok((name, table)) => {
                    error.set(None);
                    lab.dispatch(SqlAction::AddTable {
                        name,
                        table: Rc::new(table),
                    });
                }
                Err(why) => error.set(Some(why)),
            }
        })
    };
    let on_submit = {
        let (import, name, pasted, error) =
            (import.clone(), name.clone(), pasted.clone(), error.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if pasted.trim().is_empty() {
                error.set(Some("paste CSV text first, or choose a file".into()));
                return;
            }
            import((*name).clone(), pasted.as_bytes());
        })
    };
    let on_file = {
        let (import, name, error) = (import.clone(), name.clone(), error.clone());
        Callback::from(move |e: Event| {
            let input: HtmlInputElement = e.target_unchecked_into();
            let Some(file) = input.files().and_then(|files| files.get(0)) else {
                return;
            };
            input.set_value("");
            if file.size() > CSV_BYTES_MAX as f64 {
                error.set(Some(format!(
                    "the file is larger than {} MiB, the most the lab imports",
                    CSV_BYTES_MAX / (1024 * 1024)
                )));
                return;
            }
            // The file's own name, unless the learner typed one.
            let table_name = if name.as_str() == "my_table" || name.trim().is_empty() {
                name_from_file(&file.name())
            } else {
                (*name).clone()
            };
            name.set(table_name.clone());
            let (import, error) = (import.clone(), error.clone());
            wasm_bindgen_futures::spawn_local(async move {
                match wasm_bindgen_futures::JsFuture::from(file.array_buffer()).await {
                    Ok(buffer) => {
                        let bytes = js_sys::Uint8Array::new(&buffer).to_vec();
                        import(table_name, &bytes);
                    }
                    Err(_) => error.set(Some("the file could not be read".into())),
                }
            });
        })
    };
    html! {
        <form class="csv-import" onsubmit={on_submit}>
            <div class="csv-import-row">
                <label for="csv-table-name">{ "Table name" }</label>
                <input id="csv-table-name" class="csv-table-name" value={(*name).clone()} oninput={bind(&name)}
                    aria-invalid={error.is_some().to_string()} aria-describedby="csv-import-error" autocomplete="off" spellcheck="false" />
            </div>
            <div class="csv-import-row">
                <label for="csv-file">{ "From a file" }</label>
                <input id="csv-file" class="csv-file" type="file" accept=".csv,text/csv,text/plain" onchange={on_file} />
            </div>
            <label for="csv-text">{ "Or paste CSV (a header line, then one row per line)" }</label>
            <textarea id="csv-text" class="csv-text" rows="3" value={(*pasted).clone()} oninput={bind_text(&pasted)}
                placeholder={"city,rides\nLisbon,12\nPorto,7"} spellcheck="false" />
            <div><button type="submit" class="csv-import-button">{ "Import pasted CSV" }</button></div>
            <p id="csv-import-error" class="field-error" role="alert">{ (*error).clone().unwrap_or_default() }</p>
        </form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_names_are_plain_and_free() {
        let taken = |n: &str| n == "rides";
        assert_eq!(check_table_name(" My_Table ", taken).unwrap(), "my_table");
        assert!(check_table_name("rides", taken)
            .unwrap_err()
            .contains("exists"));
        assert!(check_table_name("1abc", taken)
            .unwrap_err()
            .contains("plain"));
        assert!(check_table_name("a b", taken).is_err());
        assert!(check_table_name("", taken).is_err());
        assert_eq!(name_from_file("Sales 2024.csv"), "sales_2024");
        assert_eq!(name_from_file("2024.csv"), "t2024");
        assert_eq!(name_from_file("noext"), "noext");
    }
}
