//! Versions as Omni reads and compares them: Go's `github.com/blang/semver/v4` (`ParseTolerant`,
//! `Parse`, `Compare`), which upstream uses for Talos and Kubernetes versions in cluster
//! templates, installation media checks and Talos quirks. One parser for every caller, so that
//! a version the template validator accepts is the same version the media checks compare.

use std::cmp::Ordering;

/// A semantic version; build metadata is checked, then dropped (it never orders versions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Version {
    pub(crate) major: u64,
    pub(crate) minor: u64,
    pub(crate) patch: u64,
    /// Pre-release identifiers (`1.9.0-alpha.1` → `["alpha", "1"]`).
    pub(crate) pre: Vec<String>,
}

impl Version {
    /// `semver.ParseTolerant`: surrounding spaces and a `v` prefix dropped, leading zeroes of
    /// each part removed, a missing minor or patch taken as 0 (a short version with
    /// pre-release or build data is refused). Errors carry blang's own texts.
    pub(crate) fn parse_tolerant(s: &str) -> Result<Version, String> {
        let s = s.trim();
        let s = s.strip_prefix('v').unwrap_or(s);
        let mut parts: Vec<String> = s.splitn(3, '.').map(str::to_string).collect();
        for p in parts.iter_mut() {
            if p.len() > 1 {
                let t = p.trim_start_matches('0');
                *p = if t.is_empty() || !t.starts_with(|c: char| c.is_ascii_digit()) {
                    format!("0{t}")
                } else {
                    t.to_string()
                };
            }
        }
        if parts.len() < 3 {
            if parts.last().is_some_and(|l| l.contains(['+', '-'])) {
                return Err("Short version cannot contain PreRelease/Build meta data".into());
            }
            while parts.len() < 3 {
                parts.push("0".into());
            }
        }
        Version::parse(&parts.join("."))
    }

    /// `semver.Parse`: exactly `MAJOR.MINOR.PATCH[-PRE][+BUILD]`.
    pub(crate) fn parse(s: &str) -> Result<Version, String> {
        if s.is_empty() {
            return Err("Version string empty".into());
        }
        let parts: Vec<&str> = s.splitn(3, '.').collect();
        let [major, minor, patch_full] = parts.as_slice() else {
            return Err("No Major.Minor.Patch elements found".into());
        };
        let num = |p: &str, what: &str| -> Result<u64, String> {
            if !p.chars().all(|c| c.is_ascii_digit()) {
                return Err(format!("Invalid character(s) found in {what} number {p:?}"));
            }
            if p.len() > 1 && p.starts_with('0') {
                let cap = format!("{}{}", what[..1].to_uppercase(), &what[1..]);
                return Err(format!(
                    "{cap} number must not contain leading zeroes {p:?}"
                ));
            }
            if p.is_empty() {
                return Err("strconv.ParseUint: parsing \"\": invalid syntax".into());
            }
            p.parse::<u64>()
                .map_err(|_| format!("strconv.ParseUint: parsing {p:?}: value out of range"))
        };
        let major = num(major, "major")?;
        let minor = num(minor, "minor")?;
        let mut patch = *patch_full;
        let mut build: Vec<&str> = Vec::new();
        let mut pre: Vec<&str> = Vec::new();
        if let Some(i) = patch.find('+') {
            build = patch[i + 1..].split('.').collect();
            patch = &patch[..i];
        }
        if let Some(i) = patch.find('-') {
            pre = patch[i + 1..].split('.').collect();
            patch = &patch[..i];
        }
        let patch = num(patch, "patch")?;
        let alnum = |c: char| c.is_ascii_alphanumeric() || c == '-';
        for p in &pre {
            if p.is_empty() {
                return Err("Prerelease is empty".into());
            }
            if !p.chars().all(alnum) {
                return Err(format!("Invalid character(s) found in prerelease {p:?}"));
            }
            if is_numeric(p) && p.len() > 1 && p.starts_with('0') {
                return Err(format!(
                    "Numeric PreRelease version must not contain leading zeroes {p:?}"
                ));
            }
        }
        for b in &build {
            if b.is_empty() {
                return Err("Build meta data is empty".into());
            }
            if !b.chars().all(alnum) {
                return Err(format!(
                    "Invalid character(s) found in build meta data {b:?}"
                ));
            }
        }
        Ok(Version {
            major,
            minor,
            patch,
            pre: pre.into_iter().map(str::to_string).collect(),
        })
    }

    /// The version without its pre-release (`1.9.0-alpha.1` → `1.9.0`).
    #[cfg_attr(not(feature = "browser"), allow(dead_code))]
    pub(crate) fn release(&self) -> Version {
        Version {
            pre: Vec::new(),
            ..self.clone()
        }
    }

    /// `major.minor.patch`, a release.
    #[cfg_attr(not(feature = "templates"), allow(dead_code))]
    pub(crate) const fn new(major: u64, minor: u64, patch: u64) -> Version {
        Version {
            major,
            minor,
            patch,
            pre: Vec::new(),
        }
    }

    /// `(major, minor, patch)`.
    pub(crate) fn triple(&self) -> (u64, u64, u64) {
        (self.major, self.minor, self.patch)
    }
}

fn is_numeric(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|c| c.is_ascii_digit())
}

/// `Version.Compare`: by major, minor, patch; a release after its pre-releases; pre-release
/// identifiers one by one (numeric ones numerically and before alphanumeric ones, those
/// lexically), a longer list after its own prefix.
impl Ord for Version {
    fn cmp(&self, other: &Version) -> Ordering {
        self.triple().cmp(&other.triple()).then_with(|| {
            match (self.pre.is_empty(), other.pre.is_empty()) {
                (true, true) => Ordering::Equal,
                (true, false) => Ordering::Greater,
                (false, true) => Ordering::Less,
                (false, false) => {
                    for (a, b) in self.pre.iter().zip(&other.pre) {
                        let o = match (is_numeric(a), is_numeric(b)) {
                            (true, true) => {
                                let (x, y) = (a.parse::<u64>(), b.parse::<u64>());
                                match (x, y) {
                                    (Ok(x), Ok(y)) => x.cmp(&y),
                                    _ => a.len().cmp(&b.len()).then_with(|| a.cmp(b)),
                                }
                            }
                            (true, false) => Ordering::Less,
                            (false, true) => Ordering::Greater,
                            (false, false) => a.cmp(b),
                        };
                        if o != Ordering::Equal {
                            return o;
                        }
                    }
                    self.pre.len().cmp(&other.pre.len())
                }
            }
        })
    }
}

impl PartialOrd for Version {
    fn partial_cmp(&self, other: &Version) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::Version;

    fn v(s: &str) -> Version {
        Version::parse_tolerant(s).unwrap()
    }

    #[test]
    fn tolerant_parsing_as_blang() {
        assert_eq!(v("v1.30").triple(), (1, 30, 0));
        assert_eq!(v(" 1 ").triple(), (1, 0, 0));
        assert_eq!(v("v01.007.0010").triple(), (1, 7, 10));
        assert_eq!(v("1.9.0-alpha.1+build.5").pre, ["alpha", "1"]);
        for (input, err) in [
            ("vN.2", "Invalid character(s) found in major number \"N\""),
            (
                "v1.3.0gamma.0",
                "Invalid character(s) found in patch number \"0gamma.0\"",
            ),
            (
                "1.7-alpha",
                "Short version cannot contain PreRelease/Build meta data",
            ),
            ("", "strconv.ParseUint: parsing \"\": invalid syntax"),
            ("1.2.3-", "Prerelease is empty"),
            (
                "1.2.3-01",
                "Numeric PreRelease version must not contain leading zeroes \"01\"",
            ),
            ("1.2.3+", "Build meta data is empty"),
        ] {
            assert_eq!(Version::parse_tolerant(input).unwrap_err(), err, "{input}");
        }
        assert_eq!(Version::parse("").unwrap_err(), "Version string empty");
        assert_eq!(
            Version::parse("1.2").unwrap_err(),
            "No Major.Minor.Patch elements found"
        );
    }

    #[test]
    fn ordering_as_semver() {
        let order = [
            "1.0.0-alpha",
            "1.0.0-alpha.1",
            "1.0.0-alpha.beta",
            "1.0.0-beta",
            "1.0.0-beta.2",
            "1.0.0-beta.11",
            "1.0.0-rc.1",
            "1.0.0",
            "1.0.1",
            "1.7.0",
            "1.10.0",
            "2.0.0",
        ];
        for w in order.windows(2) {
            assert!(v(w[0]) < v(w[1]), "{} < {}", w[0], w[1]);
        }
        assert_eq!(v("1.7.0+a"), v("1.7.0+b"));
        assert_eq!(v("1.9.0-alpha.1").release(), v("1.9.0"));
    }
}
