//! The CLI's test host: environment, files and typed answers in memory, stdout and stderr
//! captured, the in-memory transport as the server (a closure per test) with a log of calls.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

use futures::executor::block_on;
use futures::future::LocalBoxFuture;
use omni_wasm::auth::{Metadata, ServiceAccountKey};
use omni_wasm::cli::{run, Host};
use omni_wasm::client::OmniClientBuilder;
use omni_wasm::transport::{Backoff, MemoryHandler};
use omni_wasm::{Error, Result};
use serde_json::Value;

/// What a person does in the editor: the text shown → the text saved.
pub type Person = Box<dyn FnOnce(&str) -> String>;

pub type Calls = Rc<RefCell<Vec<(String, Value)>>>;

/// One `download`: URL, headers, file.
pub type Fetch = (String, Vec<(String, String)>, String);

#[derive(Default)]
pub struct TestHost {
    pub env: BTreeMap<String, String>,
    pub files: RefCell<BTreeMap<String, String>>,
    pub out: RefCell<String>,
    pub err: RefCell<String>,
    pub handler: Option<MemoryHandler>,
    pub calls: Calls,
    pub dirs: Vec<String>,
    /// Lines typed at prompts; a host with answers is a terminal.
    pub answers: RefCell<VecDeque<String>>,
    /// What the person does in the editor, one function (text shown → text saved) per launch.
    pub editor: RefCell<VecDeque<Person>>,
    /// The texts the editor was opened with.
    pub edits: RefCell<Vec<String>>,
    /// Binary files written (`write_bytes`); `read_file` sees them too.
    pub binary: RefCell<BTreeMap<String, Vec<u8>>>,
    /// Standard input, for `read_stdin`.
    pub stdin: String,
    /// What `download` fetched: URL, headers, file.
    pub fetched: RefCell<Vec<Fetch>>,
    /// The HTTP answers of `download`, in turn (status, body); `(200, b"IMAGE")` when none
    /// is left. A status below 400 saves the body into `binary`.
    pub http: RefCell<VecDeque<(u16, Vec<u8>)>>,
}

impl Host for TestHost {
    fn env(&self, name: &str) -> Option<String> {
        self.env.get(name).cloned()
    }
    fn read_file(&self, path: &str) -> Result<Option<String>> {
        if let Some(b) = self.binary.borrow().get(path) {
            return Ok(Some(String::from_utf8_lossy(b).into_owned()));
        }
        Ok(self.files.borrow().get(path).cloned())
    }
    fn write_bytes(&self, path: &str, data: &[u8], _mode: u32) -> Result<()> {
        self.binary.borrow_mut().insert(path.into(), data.to_vec());
        Ok(())
    }
    fn read_stdin(&self) -> Result<String> {
        Ok(self.stdin.clone())
    }
    fn download<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(String, String)],
        path: &'a str,
        _insecure: bool,
    ) -> LocalBoxFuture<'a, Result<Option<(u16, String)>>> {
        self.fetched
            .borrow_mut()
            .push((url.into(), headers.to_vec(), path.into()));
        let (status, body) = self
            .http
            .borrow_mut()
            .pop_front()
            .unwrap_or((200, b"IMAGE".to_vec()));
        let out = if status < 400 {
            self.binary.borrow_mut().insert(path.into(), body);
            None
        } else {
            Some((status, String::from_utf8_lossy(&body).into_owned()))
        };
        Box::pin(async move { Ok(out) })
    }
    fn write_file(&self, path: &str, text: &str, _mode: u32) -> Result<()> {
        self.files.borrow_mut().insert(path.into(), text.into());
        Ok(())
    }
    fn remove_file(&self, path: &str) -> Result<()> {
        self.files.borrow_mut().remove(path);
        Ok(())
    }
    fn stdout(&self, text: &str) {
        self.out.borrow_mut().push_str(text);
    }
    fn stderr(&self, text: &str) {
        self.err.borrow_mut().push_str(text);
    }
    fn is_dir(&self, path: &str) -> bool {
        self.dirs.contains(&path.to_string())
    }
    fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let prefix = format!("{}/", dir.trim_end_matches('/'));
        Ok(self
            .files
            .borrow()
            .keys()
            .filter(|k| k.starts_with(&prefix))
            .cloned()
            .collect())
    }
    fn edit(
        &self,
        editor: &str,
        prefix: &str,
        suffix: &str,
        text: &str,
    ) -> Result<(String, String)> {
        self.edits.borrow_mut().push(text.to_string());
        let path = format!("/tmp/{prefix}{}{suffix}", self.edits.borrow().len());
        let person = self.editor.borrow_mut().pop_front().ok_or_else(|| {
            Error::InvalidArgument(format!("editor {editor}: nobody at the keyboard"))
        })?;
        let saved = person(text);
        self.files.borrow_mut().insert(path.clone(), saved.clone());
        Ok((saved, path))
    }
    fn cwd(&self) -> String {
        "/work".into()
    }
    fn is_terminal(&self) -> bool {
        !self.answers.borrow().is_empty()
    }
    fn read_line(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        let answer = self.answers.borrow_mut().pop_front();
        Box::pin(async move { Ok(answer) })
    }
    fn now_unix(&self) -> i64 {
        1_767_225_600
    }
    fn configure(&self, b: OmniClientBuilder, _insecure: bool) -> Result<OmniClientBuilder> {
        let h = self
            .handler
            .clone()
            .ok_or_else(|| Error::InvalidArgument("this test makes no calls".into()))?;
        Ok(b.memory(h).backoff(Backoff::new(
            std::time::Duration::ZERO,
            std::time::Duration::ZERO,
            1,
        )))
    }
}

impl TestHost {
    pub fn new() -> Self {
        let mut env = BTreeMap::new();
        env.insert("HOME".into(), "/home/u".into());
        TestHost {
            env,
            ..TestHost::default()
        }
    }

    /// A host with a service account in the environment and `answer` as the server.
    pub fn with_server(
        answer: impl Fn(&str, &Value) -> std::result::Result<Vec<Value>, Error> + 'static,
    ) -> Self {
        let mut h = TestHost::new();
        let (sa, _) = ServiceAccountKey::generate("cli", None, 1_767_225_600).unwrap();
        h.env.insert(
            "OMNI_SERVICE_ACCOUNT_KEY".into(),
            sa.encode().unwrap().to_string(),
        );
        h.env
            .insert("OMNI_ENDPOINT".into(), "https://omni.example.org".into());
        let calls = h.calls.clone();
        h.handler = Some(Rc::new(move |method: &str, _md: &Metadata, body: Value| {
            calls.borrow_mut().push((method.to_string(), body.clone()));
            answer(method, &body)
        }));
        h
    }

    pub fn file(&self, path: &str, text: &str) {
        self.files.borrow_mut().insert(path.into(), text.into());
    }

    pub fn run(&self, args: &[&str]) -> i32 {
        let args: Vec<String> = args.iter().map(|s| s.to_string()).collect();
        block_on(run(&args, self))
    }

    pub fn stdout(&self) -> String {
        self.out.borrow().clone()
    }

    pub fn stderr(&self) -> String {
        self.err.borrow().clone()
    }

    pub fn methods(&self) -> Vec<String> {
        self.calls.borrow().iter().map(|(m, _)| m.clone()).collect()
    }
}
