//! A User-Agent in the words an admin checks a stolen laptop by: browser and system.

/// "Firefox 128 · Windows", "Chrome 126 · Android", "curl 8.5"; the raw text when nothing is
/// recognised, so no agent is ever hidden.
pub fn short_agent(agent: &str) -> String {
    let browser = browser(agent);
    let system = geobox_ops::sessions_insight::operating_system(agent);
    match (browser, system) {
        (Some(browser), Some(system)) => format!("{browser} · {system}"),
        (Some(browser), None) => browser,
        (None, Some(system)) => system.to_string(),
        (None, None) => agent.to_string(),
    }
}

/// The product and its major version after `name/` in the agent.
fn version_of(agent: &str, name: &str) -> Option<String> {
    let start = agent.find(&format!("{name}/"))? + name.len() + 1;
    let major: String = agent[start..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    Some(major)
}

fn browser(agent: &str) -> Option<String> {
    // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
    const PRODUCTS: [(&str, &str); 8] = [
        ("Edg", "Edge"),
        ("OPR", "Opera"),
        ("Firefox", "Firefox"),
        ("Chrome", "Chrome"),
        ("Version", "Safari"),
        ("curl", "curl"),
        ("python-requests", "python-requests"),
        ("Wget", "Wget"),
    ];
    PRODUCTS.iter().find_map(|(token, name)| {
        let major = version_of(agent, token)?;
        Some(if major.is_empty() {
            name.to_string()
        } else {
            format!("{name} {major}")
        })
    })
}

#[cfg(test)]
mod tests {
    use super::short_agent;

    #[test]
    fn common_agents_read_as_browser_and_system() {
        let firefox =
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(short_agent(firefox), "Firefox 128 · Windows");
        let chrome_android = "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0.0.0 Mobile Safari/537.36";
        assert_eq!(short_agent(chrome_android), "Chrome 126 · Android");
        let safari = "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15";
        assert_eq!(short_agent(safari), "Safari 17 · macOS");
        let edge = "Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36 Edg/126.0";
        assert_eq!(short_agent(edge), "Edge 126 · Windows");
        assert_eq!(short_agent("curl/8.5.0"), "curl 8");
        assert_eq!(short_agent("geobox-users/0.1"), "geobox-users/0.1");
    }
}
