//! A tiny XML reader for assertions: every element's text by its path below the root
//! (`Contents/Key`). Independent of the server's `wire` module.

use quick_xml::events::Event;
use quick_xml::Reader;

/// A parsed document: the root's name and `(path, text)` of every element in document order.
#[derive(Debug, Clone)]
pub struct Xml {
    /// Local name of the root element.
    pub root: String,
    entries: Vec<(String, String)>,
    raw: String,
}

impl Xml {
    /// Parses `body`; panics (failing the test) on anything that is not well-formed XML.
    pub fn parse(body: &[u8]) -> Xml {
        let raw = String::from_utf8_lossy(body).into_owned();
        let mut reader = Reader::from_reader(body);
        reader.config_mut().trim_text(false);
        let mut stack: Vec<(String, String)> = Vec::new();
        let mut root = None;
        let mut entries = Vec::new();
        let path = |stack: &[(String, String)]| {
            stack
                .iter()
                .skip(1)
                .map(|(n, _)| n.as_str())
                .collect::<Vec<_>>()
                .join("/")
        };
        loop {
            let ev = reader
                .read_event()
                .unwrap_or_else(|e| panic!("not well-formed XML ({e}): {raw}"));
            match ev {
                Event::Start(s) => {
                    let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                    if root.is_none() {
                        root = Some(name.clone());
                    }
                    stack.push((name, String::new()));
                }
                Event::Empty(s) => {
                    let name = String::from_utf8_lossy(s.local_name().as_ref()).into_owned();
                    if root.is_none() {
                        root = Some(name.clone());
                        continue;
                    }
                    let mut p = path(&stack);
                    if !p.is_empty() {
                        p.push('/');
                    }
                    p.push_str(&name);
                    entries.push((p, String::new()));
                }
                Event::End(_) => {
                    let p = path(&stack);
                    let (_, text) = stack.pop().expect("balanced");
                    if !stack.is_empty() {
                        entries.push((p, text));
                    }
                }
                Event::Text(t) => {
                    if let Some(top) = stack.last_mut() {
                        top.1.push_str(&String::from_utf8_lossy(t.as_ref()));
                    }
                }
                Event::CData(t) => {
                    if let Some(top) = stack.last_mut() {
                        top.1.push_str(&String::from_utf8_lossy(t.as_ref()));
                    }
                }
                Event::GeneralRef(r) => {
                    let s = if r.is_char_ref() {
                        r.resolve_char_ref()
                            .ok()
                            .flatten()
                            .map(String::from)
                            .unwrap_or_default()
                    } else {
                        let name: &[u8] = r.as_ref();
                        match name {
                            b"amp" => "&".into(),
                            b"lt" => "<".into(),
                            b"gt" => ">".into(),
                            b"quot" => "\"".into(),
                            b"apos" => "'".into(),
                            other => panic!("unknown entity {other:?} in {raw}"),
                        }
                    };
                    if let Some(top) = stack.last_mut() {
                        top.1.push_str(&s);
                    }
                }
                Event::Eof => break,
                _ => {}
            }
        }
        assert!(stack.is_empty(), "truncated XML: {raw}");
        Xml {
            root: root.unwrap_or_else(|| panic!("no root element: {raw:?}")),
            entries,
            raw,
        }
    }

    /// Texts of every element at `path`, in order.
    pub fn all(&self, path: &str) -> Vec<&str> {
        self.entries
            .iter()
            .filter(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
            .collect()
    }

    /// Text of the first element at `path`.
    pub fn get(&self, path: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, t)| t.as_str())
    }

    /// Text of the element at `path`, which must exist.
    pub fn one(&self, path: &str) -> &str {
        self.get(path)
            .unwrap_or_else(|| panic!("no <{path}> in {}", self.raw))
    }

    /// Number of elements at `path`.
    pub fn count(&self, path: &str) -> usize {
        self.entries.iter().filter(|(p, _)| p == path).count()
    }

    /// The document as received.
    pub fn raw(&self) -> &str {
        &self.raw
    }
}
