//! Omni's compressed spec fields, as Omni keeps and shows them (upstream
//! `client/api/omni/specs/compression.go` and each spec's `MarshalJSON`/`MarshalYAML`/
//! `UnmarshalJSON`): a payload of 2 KiB or more is stored as one zstd frame in the compressed
//! field with the plain field empty; the JSON and YAML forms show it plain; a spec read from
//! JSON (the ResourceService gateway) is compressed the same way before it is stored. Specs
//! written over COSI State are stored as sent, as Omni does.

use prost_reflect::{DynamicMessage, ReflectMessage, Value};

/// (spec message, compressed field, plain field).
const FIELDS: [(&str, &str, &str); 8] = [
    ("specs.ConfigPatchSpec", "compressed_data", "data"),
    (
        "specs.ClusterMachineConfigPatchesSpec",
        "compressed_patches",
        "patches",
    ),
    ("specs.ClusterMachineConfigSpec", "compressed_data", "data"),
    (
        "specs.RedactedClusterMachineConfigSpec",
        "compressed_data",
        "data",
    ),
    (
        "specs.ClusterMachineConfigStatusSpec",
        "compressed_redacted_machine_config",
        "redacted_current_machine_config",
    ),
    (
        "specs.MachinePendingUpdatesSpec",
        "compressed_config_diff",
        "config_diff",
    ),
    ("specs.MachineConfigDiffSpec", "compressed_diff", "diff"),
    (
        "specs.KubernetesManifestGroupSpec",
        "compressed_data",
        "data",
    ),
];

/// Upstream `constants.CompressionThresholdBytes`.
pub const THRESHOLD: usize = 2048;

fn fields(
    msg: &DynamicMessage,
) -> Option<(
    prost_reflect::FieldDescriptor,
    prost_reflect::FieldDescriptor,
)> {
    let desc = msg.descriptor();
    let (_, packed, plain) = FIELDS.iter().find(|(m, _, _)| *m == desc.full_name())?;
    Some((
        desc.get_field_by_name(packed)?,
        desc.get_field_by_name(plain)?,
    ))
}

fn raw(v: &Value) -> Vec<u8> {
    match v {
        Value::String(s) => s.as_bytes().to_vec(),
        Value::Bytes(b) => b.to_vec(),
        _ => Vec::new(),
    }
}

fn unzstd(frame: &[u8]) -> Result<Vec<u8>, String> {
    use std::io::Read as _;
    let mut out = Vec::new();
    let mut src = frame;
    while !src.is_empty() {
        let mut d = ruzstd::decoding::StreamingDecoder::new(&mut src).map_err(|e| e.to_string())?;
        d.read_to_end(&mut out).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The plain form (`GetUncompressedData` put back into the plain field, the compressed one
/// cleared), as `MarshalJSON`/`MarshalYAML` show a spec.
pub fn expand(msg: &mut DynamicMessage) -> Result<(), String> {
    let Some((packed, plain)) = fields(msg) else {
        return Ok(());
    };
    if !msg.has_field(&packed) {
        return Ok(());
    }
    let text = plain.kind() == prost_reflect::Kind::String;
    let one = |v: &Value| -> Result<Value, String> {
        let data = unzstd(&raw(v))?;
        Ok(if text {
            Value::String(String::from_utf8(data).map_err(|e| e.to_string())?)
        } else {
            Value::Bytes(data.into())
        })
    };
    let value = match msg.get_field(&packed).as_ref() {
        Value::List(items) => Value::List(items.iter().map(one).collect::<Result<_, _>>()?),
        v => one(v)?,
    };
    msg.set_field(&plain, value);
    msg.clear_field(&packed);
    Ok(())
}

/// `SetUncompressedData` after reading JSON: the plain payload compressed when it (for the
/// patches list: any of them) reaches the threshold, otherwise left plain.
pub fn compress(msg: &mut DynamicMessage) -> Result<(), String> {
    expand(msg)?;
    let Some((packed, plain)) = fields(msg) else {
        return Ok(());
    };
    let zstd = |d: &[u8]| {
        ruzstd::encoding::compress_to_vec(d, ruzstd::encoding::CompressionLevel::Fastest)
    };
    let value = match msg.get_field(&plain).as_ref() {
        Value::List(items) => {
            let data: Vec<Vec<u8>> = items.iter().map(raw).collect();
            if !data.iter().any(|d| d.len() >= THRESHOLD) {
                return Ok(());
            }
            Value::List(data.iter().map(|d| Value::Bytes(zstd(d).into())).collect())
        }
        v => {
            let data = raw(v);
            if data.len() < THRESHOLD {
                return Ok(());
            }
            Value::Bytes(zstd(&data).into())
        }
    };
    msg.set_field(&packed, value);
    msg.clear_field(&plain);
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use prost::Message as _;

    fn pool() -> prost_reflect::DescriptorPool {
        prost_reflect::DescriptorPool::decode(crate::DESCRIPTOR_SET).unwrap()
    }

    #[test]
    fn json_writes_compress_at_the_threshold_and_read_back_plain() {
        let pool = pool();
        let typ = "ConfigPatches.omni.sidero.dev";
        let desc = pool.get_message_by_name("specs.ConfigPatchSpec").unwrap();
        for (len, stored_compressed) in [(THRESHOLD - 1, false), (THRESHOLD, true)] {
            let data = "x".repeat(len);
            let json = serde_json::json!({ "data": data }).to_string();
            let bytes = crate::yaml::spec_from_json(&pool, typ, &json).unwrap();
            let msg = DynamicMessage::decode(desc.clone(), bytes.as_slice()).unwrap();
            let packed = msg.get_field_by_name("compressed_data").unwrap();
            let plain = msg.get_field_by_name("data").unwrap();
            assert_eq!(
                !packed.as_bytes().unwrap().is_empty(),
                stored_compressed,
                "{len}"
            );
            assert_eq!(
                plain.as_str().unwrap().is_empty(),
                stored_compressed,
                "{len}"
            );
            // the gateway's JSON and State's YAML show it plain
            let j = crate::yaml::spec_to_json(&pool, typ, &bytes);
            assert_eq!(j, serde_json::json!({ "data": data }));
            let y = crate::yaml::render(&pool, typ, &bytes);
            assert!(y.starts_with(&format!("data: {data}\n")), "{y}");
        }
    }

    #[test]
    fn a_patches_list_compresses_whole_when_any_is_large() {
        let pool = pool();
        let typ = "ClusterMachineConfigPatches.omni.sidero.dev";
        let big = "y".repeat(THRESHOLD);
        let json = serde_json::json!({ "patches": [big, "small"] }).to_string();
        let bytes = crate::yaml::spec_from_json(&pool, typ, &json).unwrap();
        let desc = pool
            .get_message_by_name("specs.ClusterMachineConfigPatchesSpec")
            .unwrap();
        let msg = DynamicMessage::decode(desc, bytes.as_slice()).unwrap();
        assert_eq!(
            msg.get_field_by_name("compressed_patches")
                .unwrap()
                .as_list()
                .unwrap()
                .len(),
            2
        );
        assert!(msg
            .get_field_by_name("patches")
            .unwrap()
            .as_list()
            .unwrap()
            .is_empty());
        assert_eq!(
            crate::yaml::spec_to_json(&pool, typ, &bytes),
            serde_json::json!({ "patches": [big, "small"] })
        );
        let _ = msg.encode_to_vec();
    }
}
