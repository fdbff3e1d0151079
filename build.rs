//! Bundles every template of `templates/` into the binary as
//! `render::TEMPLATES`, so a new report kind's templates need no list
//! edited: a file dropped in the folder is there at the next build.

use std::path::Path;

fn main() {
    let root = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let dir = Path::new(&root).join("templates");
    println!("cargo::rerun-if-changed=templates");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("templates/ is readable")
        .map(|e| e.expect("a directory entry").file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".html") || n.ends_with(".md"))
        .collect();
    names.sort();
    let mut out = String::from("&[\n");
    for name in names {
        let path = dir.join(&name);
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push(']');
    let target = Path::new(&std::env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    std::fs::write(target, out).expect("OUT_DIR is writable");
}
