//! The outside tools some tests call. build.rs looks for each and sets a `has_…` cfg; the tests
//! that need a missing one are `ignored` with the reason. CI must not pass by ignoring them.

/// (found when the tests were built, what is missing, how to install it)
const TOOLS: [(bool, &str, &str); 6] = [
    (
        cfg!(has_python_standardwebhooks),
        "Python standardwebhooks",
        "pip install standardwebhooks",
    ),
    (
        cfg!(has_node_standardwebhooks),
        "Node.js standardwebhooks",
        "npm ci in tests/receivers/node",
    ),
    (
        cfg!(has_openapi_spec_validator),
        "openapi-spec-validator",
        "pip install openapi-spec-validator",
    ),
    (
        cfg!(has_schemathesis),
        "schemathesis, unshare and nsenter",
        "pip install schemathesis (the version .ci/run pins); apt-get install util-linux",
    ),
    (
        cfg!(has_chromium),
        "Chromium and chromedriver",
        "apt-get install chromium chromium-driver",
    ),
    (cfg!(has_strace), "strace", "apt-get install strace"),
];

#[test]
fn under_ci_every_tool_the_suite_uses_is_installed() {
    let missing: Vec<String> = TOOLS
        .iter()
        .filter(|(found, _, _)| !found)
        .map(|(_, what, how)| format!("{what} ({how})"))
        .collect();
    if std::env::var("CI").is_ok_and(|v| v == "true") {
        assert!(
            missing.is_empty(),
            "CI=true, but the tests that need these were ignored: {}; .ci/run installs them \
             (touch build.rs afterwards if the build did not notice)",
            missing.join(", ")
        );
    }
}
