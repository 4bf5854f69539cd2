//! `runCli`: the command line of [`crate::cli`] on a JS host object (the package's Node bin).

use js_sys::{Function, Reflect};
use wasm_bindgen::prelude::*;

use futures::future::LocalBoxFuture;

use crate::cli::Host;
use crate::client::OmniClientBuilder;
use crate::{Error, Result};

/// A JS object with the host functions (see `runCli`).
struct JsHost {
    obj: JsValue,
}

impl JsHost {
    fn func(&self, name: &str) -> Result<Function> {
        Reflect::get(&self.obj, &name.into())
            .ok()
            .and_then(|f| f.dyn_into::<Function>().ok())
            .ok_or_else(|| Error::InvalidArgument(format!("CLI host: no function {name}")))
    }

    fn call(&self, name: &str, args: &[JsValue]) -> Result<JsValue> {
        let f = self.func(name)?;
        let array: js_sys::Array = args.iter().collect();
        f.apply(&self.obj, &array).map_err(|e| {
            let msg = Reflect::get(&e, &"message".into())
                .ok()
                .and_then(|m| m.as_string())
                .unwrap_or_else(|| "failed".into());
            Error::InvalidArgument(msg)
        })
    }
}

impl Host for JsHost {
    fn env(&self, name: &str) -> Option<String> {
        self.call("env", &[name.into()])
            .ok()
            .and_then(|v| v.as_string())
    }

    fn read_file(&self, path: &str) -> Result<Option<String>> {
        Ok(self.call("readFile", &[path.into()])?.as_string())
    }

    fn write_file(&self, path: &str, text: &str, mode: u32) -> Result<()> {
        self.call("writeFile", &[path.into(), text.into(), mode.into()])
            .map(drop)
    }

    fn write_bytes(&self, path: &str, data: &[u8], mode: u32) -> Result<()> {
        let bytes = js_sys::Uint8Array::from(data);
        self.call("writeFileBytes", &[path.into(), bytes.into(), mode.into()])
            .map(drop)
    }

    fn read_stdin(&self) -> Result<String> {
        self.call("readStdin", &[])?
            .as_string()
            .ok_or_else(|| Error::InvalidArgument("CLI host: readStdin gave no text".into()))
    }

    fn download<'a>(
        &'a self,
        url: &'a str,
        headers: &'a [(String, String)],
        path: &'a str,
        insecure_skip_tls_verify: bool,
    ) -> LocalBoxFuture<'a, Result<Option<(u16, String)>>> {
        Box::pin(async move {
            let pairs: js_sys::Array = headers
                .iter()
                .map(|(k, v)| {
                    let pair: js_sys::Array = [JsValue::from_str(k), JsValue::from_str(v)]
                        .iter()
                        .collect();
                    JsValue::from(pair)
                })
                .collect();
            let promise: js_sys::Promise = self
                .call(
                    "download",
                    &[
                        url.into(),
                        pairs.into(),
                        path.into(),
                        insecure_skip_tls_verify.into(),
                    ],
                )?
                .dyn_into()
                .map_err(|_| Error::InvalidArgument("CLI host: download is not async".into()))?;
            let answer = wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(|e| {
                    let msg = Reflect::get(&e, &"message".into())
                        .ok()
                        .and_then(|m| m.as_string())
                        .unwrap_or_else(|| "download failed".into());
                    Error::Transport(msg)
                })?;
            if answer.is_null() || answer.is_undefined() {
                return Ok(None);
            }
            let failed: js_sys::Array = answer
                .dyn_into()
                .map_err(|_| Error::InvalidArgument("CLI host: download answered oddly".into()))?;
            let status = failed.get(0).as_f64().unwrap_or(0.0) as u16;
            Ok(Some((
                status,
                failed.get(1).as_string().unwrap_or_default(),
            )))
        })
    }

    fn remove_file(&self, path: &str) -> Result<()> {
        self.call("removeFile", &[path.into()]).map(drop)
    }

    fn stdout(&self, text: &str) {
        let _ = self.call("stdout", &[text.into()]);
    }

    fn stderr(&self, text: &str) {
        let _ = self.call("stderr", &[text.into()]);
    }

    fn is_dir(&self, path: &str) -> bool {
        self.call("isDir", &[path.into()])
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn list_files(&self, dir: &str) -> Result<Vec<String>> {
        let v = self.call("listFiles", &[dir.into()])?;
        let array: js_sys::Array = v
            .dyn_into()
            .map_err(|_| Error::InvalidArgument("CLI host: listFiles gave no array".into()))?;
        Ok(array.iter().filter_map(|f| f.as_string()).collect())
    }

    fn edit(
        &self,
        editor: &str,
        prefix: &str,
        suffix: &str,
        text: &str,
    ) -> Result<(String, String)> {
        let v = self.call(
            "edit",
            &[editor.into(), prefix.into(), suffix.into(), text.into()],
        )?;
        let get = |k: &str| {
            Reflect::get(&v, &k.into())
                .ok()
                .and_then(|x| x.as_string())
                .ok_or_else(|| Error::InvalidArgument(format!("CLI host: edit gave no {k}")))
        };
        Ok((get("text")?, get("path")?))
    }

    fn cwd(&self) -> String {
        self.call("cwd", &[])
            .ok()
            .and_then(|v| v.as_string())
            .unwrap_or_else(|| ".".into())
    }

    fn is_terminal(&self) -> bool {
        self.call("isTerminal", &[])
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false)
    }

    fn read_line(&self) -> LocalBoxFuture<'_, Result<Option<String>>> {
        Box::pin(async move {
            let promise: js_sys::Promise = self
                .call("readLine", &[])?
                .dyn_into()
                .map_err(|_| Error::InvalidArgument("CLI host: readLine is not async".into()))?;
            let answer = wasm_bindgen_futures::JsFuture::from(promise)
                .await
                .map_err(|_| Error::InvalidArgument("CLI host: readLine failed".into()))?;
            Ok(answer.as_string())
        })
    }

    fn now_unix(&self) -> i64 {
        (js_sys::Date::now() / 1000.0) as i64
    }

    fn configure(&self, builder: OmniClientBuilder, insecure: bool) -> Result<OmniClientBuilder> {
        if !insecure {
            return Ok(builder);
        }
        Ok(builder.fetch(self.func("insecureFetch")?))
    }
}

/// Runs the `omni-wasm` command line `args` (without the program name) on `host`, an object
/// with `env(name)`, `readFile(path)` (a string, or `null` when there is no such file),
/// `writeFile(path, text, mode)`, `writeFileBytes(path, bytes, mode)` (a `Uint8Array`),
/// `readStdin()` (all of standard input), `download(url, headers, path, insecure)` (a promise:
/// `null` once a status < 400 answer is saved to `path`, else `[status, body]`),
/// `removeFile(path)`, `isDir(path)`, `listFiles(dir)` (every file below, recursively, sorted), `edit(editor, prefix, suffix, text)` (`{ text, path }`
/// after the editor ran on a temporary file), `cwd()`, `isTerminal()`
/// (stdout), `readLine()` (a promise of the next line of stdin, `null` at its end),
/// `stdout(text)`, `stderr(text)` and `insecureFetch` (a `fetch` without TLS verification).
/// Resolves to the exit code.
#[wasm_bindgen(js_name = runCli)]
pub async fn run_cli(args: Vec<String>, host: JsValue) -> i32 {
    let host = JsHost { obj: host };
    crate::cli::run(&args, &host).await
}
