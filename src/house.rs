//! The house rule, checked: data walks one way, sources → rollups → metrics
//! → evaluate → report → render → deliver, with the commands on top. A file
//! may name modules of its own stage and of earlier stages only. The README's
//! "Layout" section lists the same table.

/// Every top-level module of the crate and its stage, earliest first.
pub const STAGES: &[(&str, &[&str])] = &[
    ("ground", &["ground", "error", "period", "stats", "fsutil"]),
    ("sources", &["formats", "frames", "quality", "sources"]),
    ("rollups", &["rollups"]),
    ("metrics", &["metrics"]),
    ("evaluate", &["evaluate"]),
    ("report", &["report"]),
    ("render", &["render"]),
    ("deliver", &["deliver"]),
    (
        "commands",
        &["commands", "config", "cli", "sample", "fuzzing", "house", "main", "lib"],
    ),
];

/// The stage index of a top-level module, if it is one.
pub fn stage_of(module: &str) -> Option<usize> {
    STAGES.iter().position(|(_, modules)| modules.contains(&module))
}

/// The top-level modules a source text names through `crate::` paths
/// (`use crate::a::b;`, `use crate::{a, b::c};`, `crate::a::f()`), comments
/// left out.
pub fn named_modules(text: &str) -> Vec<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let ident = |s: &str| -> String { s.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect() };
    let mut out = Vec::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        rest = &rest[at + "crate::".len()..];
        let Some(group) = rest.strip_prefix('{') else {
            out.push(ident(rest));
            continue;
        };
        // `{a::b, c::{d, e}, f}`: the first name of each item at depth 0.
        let mut depth = 0usize;
        let mut item_start = true;
        for (i, c) in group.char_indices() {
            match c {
                '{' => depth += 1,
                '}' if depth == 0 => break,
                '}' => depth -= 1,
                ',' if depth == 0 => item_start = true,
                c if c.is_whitespace() => {}
                c if item_start && depth == 0 && (c.is_alphanumeric() || c == '_') => {
                    out.push(ident(&group[i..]));
                    item_start = false;
                }
                _ => item_start = false,
            }
        }
    }
    out.retain(|m| !m.is_empty());
    out.sort();
    out.dedup();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn rust_files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                rust_files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }

    #[test]
    fn groups_and_paths_are_read() {
        let text = "use crate::{error::E, metrics::{kpi::Kpi, x}};\nuse crate::{\n    report::X,\n    render::{\n        a,\n        sources,\n    },\n};\n// crate::deliver in a comment\nlet x = crate::period::Week::new();";
        assert_eq!(named_modules(text), ["error", "metrics", "period", "render", "report"]);
    }

    /// Every file of `src/` belongs to a stage and names no later stage.
    #[test]
    fn no_module_imports_a_later_stage() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut wrong = Vec::new();
        for file in &files {
            let rel = file.strip_prefix(&src).expect("under src");
            let top = rel
                .components()
                .next()
                .expect("a component")
                .as_os_str()
                .to_string_lossy();
            let top = top.trim_end_matches(".rs");
            let Some(own) = stage_of(top) else {
                wrong.push(format!(
                    "{}: module `{top}` is in no stage (add it to house::STAGES)",
                    rel.display()
                ));
                continue;
            };
            let text = std::fs::read_to_string(file).expect("a source file");
            for named in named_modules(&text) {
                match stage_of(&named) {
                    Some(stage) if stage > own => wrong.push(format!(
                        "{}: {} names `{named}` ({})",
                        rel.display(),
                        STAGES[own].0,
                        STAGES[stage].0
                    )),
                    Some(_) => {}
                    None => wrong.push(format!("{}: names `{named}`, a module in no stage", rel.display())),
                }
            }
        }
        assert!(wrong.is_empty(), "imports against the flow:\n{}", wrong.join("\n"));
    }

    /// Every module of [`STAGES`] is a file or folder of `src/`.
    #[test]
    fn the_stage_list_matches_src() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let missing: Vec<&str> = STAGES
            .iter()
            .flat_map(|(_, modules)| modules.iter().copied())
            .filter(|m| !src.join(format!("{m}.rs")).is_file() && !src.join(m).is_dir())
            .collect();
        assert!(missing.is_empty(), "in house::STAGES but not in src/: {missing:?}");
    }

    /// The sibling modules a file of a folder names (`super::x`), comments
    /// left out; `super::super` is the folder's parent, not a sibling.
    fn siblings_named(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for line in text.lines() {
            let code = line.split("//").next().unwrap_or("");
            let mut rest = code;
            while let Some(at) = rest.find("super::") {
                rest = &rest[at + "super::".len()..];
                if rest.starts_with("super::") {
                    rest = &rest["super::".len()..];
                    continue;
                }
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                if !name.is_empty() {
                    out.push(name);
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    /// Inside every folder of `src/`, the files name each other without a
    /// circle (a → b → a): each folder reads as layers too. Test modules
    /// (`tests.rs`, `#[cfg(test)]` blocks) are left out.
    #[test]
    fn no_import_circle_inside_a_folder() {
        let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let mut folders: std::collections::BTreeMap<std::path::PathBuf, Vec<(String, Vec<String>)>> =
            Default::default();
        for file in &files {
            let name = file.file_stem().expect("a name").to_string_lossy().into_owned();
            if name == "mod" || name == "tests" || name == "lib" || name == "main" {
                continue;
            }
            let text = std::fs::read_to_string(file).expect("a source file");
            let production = text.split("#[cfg(test)]").next().unwrap_or("");
            let dir = file.parent().expect("a folder").to_path_buf();
            folders.entry(dir).or_default().push((name, siblings_named(production)));
        }
        let mut circles = Vec::new();
        for (dir, modules) in &folders {
            let names: Vec<&str> = modules.iter().map(|(n, _)| n.as_str()).collect();
            let edges = |m: &str| -> Vec<&str> {
                modules
                    .iter()
                    .find(|(n, _)| n == m)
                    .map(|(_, named)| {
                        named
                            .iter()
                            .map(String::as_str)
                            .filter(|x| names.contains(x) && *x != m)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            // Depth-first search for a path back to the start.
            for start in &names {
                let mut stack = vec![(*start, vec![*start])];
                let mut seen = std::collections::BTreeSet::new();
                while let Some((at, path)) = stack.pop() {
                    for next in edges(at) {
                        if next == *start {
                            let mut c = path.clone();
                            c.push(next);
                            circles.push(format!(
                                "{}: {}",
                                dir.strip_prefix(&src).unwrap_or(dir).display(),
                                c.join(" → ")
                            ));
                        } else if seen.insert(next) {
                            let mut p = path.clone();
                            p.push(next);
                            stack.push((next, p));
                        }
                    }
                }
            }
        }
        circles.sort();
        circles.dedup();
        assert!(circles.is_empty(), "import circles:\n{}", circles.join("\n"));
    }

    /// GitHub's anchor of a Markdown heading: lower case, punctuation
    /// dropped, spaces as hyphens.
    fn slug(heading: &str) -> String {
        heading
            .trim()
            .to_lowercase()
            .chars()
            .filter_map(|c| match c {
                ' ' => Some('-'),
                c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
                _ => None,
            })
            .collect()
    }

    /// Every pointer into `docs/` from the code, the tests and the docs
    /// themselves names a file that exists and, with `#anchor`, one of its
    /// headings; nothing cites a document outside the repository.
    #[test]
    fn docs_pointers_resolve_and_nothing_cites_outside_the_repository() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["src", "tests"] {
            rust_files(&root.join(dir), &mut files);
        }
        let docs: Vec<_> = std::fs::read_dir(root.join("docs"))
            .expect("docs/ is readable")
            .map(|e| e.expect("an entry").path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        files.extend(docs.iter().cloned());
        files.push(root.join("README.md"));
        let pointer = regex::Regex::new(r"docs/([A-Za-z0-9_-]+\.md)(#[A-Za-z0-9_-]+)?").expect("a regex");
        let link = regex::Regex::new(r"\]\(([A-Za-z0-9_-]+\.md)(#[^)\s]+)?\)").expect("a regex");
        let heading = regex::Regex::new(r"(?m)^#+ (.+)$").expect("a regex");
        let anchors = |doc: &Path| -> Option<Vec<String>> {
            let text = std::fs::read_to_string(doc).ok()?;
            Some(heading.captures_iter(&text).map(|c| slug(&c[1])).collect())
        };
        let outside = ["CONTRACT", "STACK.md", "STYLE.md"];
        let mut wrong = Vec::new();
        for file in &files {
            let text = std::fs::read_to_string(file).expect("a text file");
            let rel = file.strip_prefix(root).expect("under the root").display().to_string();
            for word in outside.iter().filter(|w| text.contains(**w)) {
                // This test names them to look for them.
                if !rel.ends_with("house.rs") {
                    wrong.push(format!("{rel}: cites `{word}`, outside the repository"));
                }
            }
            let in_docs = rel.starts_with("docs/");
            let mut targets: Vec<(String, Option<String>)> = pointer
                .captures_iter(&text)
                .map(|c| (c[1].to_string(), c.get(2).map(|a| a.as_str()[1..].to_string())))
                .collect();
            if in_docs {
                targets.extend(
                    link.captures_iter(&text)
                        .map(|c| (c[1].to_string(), c.get(2).map(|a| a.as_str()[1..].to_string()))),
                );
            }
            for (doc, anchor) in targets {
                match (anchors(&root.join("docs").join(&doc)), anchor) {
                    (None, _) => wrong.push(format!("{rel}: docs/{doc} does not exist")),
                    (Some(list), Some(a)) if !list.contains(&a) => {
                        wrong.push(format!("{rel}: docs/{doc}#{a} is no heading of it"))
                    }
                    _ => {}
                }
            }
        }
        assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    }

    /// Every file of templates/ is bundled into the binary (build.rs), so a
    /// new kind's templates need no list edited.
    #[test]
    fn every_template_file_is_bundled() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        files.sort();
        let bundled: Vec<&str> = crate::render::TEMPLATES.iter().map(|(n, _)| *n).collect();
        assert_eq!(bundled, files);
        assert!(bundled.contains(&"weekly.html") && bundled.len() >= 17);
    }
}
