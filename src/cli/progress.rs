//! Progress bars for long operations: drawn on stderr only when it is a terminal
//! (and `NO_COLOR` only drops their colour), hidden otherwise.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

/// Below this many items a bar is not worth drawing.
const MIN_ITEMS: u64 = 10_000;

/// A bar counting `total` items of some `what` ("entries", "blobs"); hidden when
/// stderr is not a terminal or the job is small.
pub fn bar(total: u64, what: &str) -> ProgressBar {
    if total < MIN_ITEMS || !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let template = if std::env::var_os("NO_COLOR").is_some() {
        "{msg} [{bar:30}] {pos}/{len} {per_sec} eta {eta}"
    } else {
        "{msg} [{bar:30.cyan/blue}] {pos}/{len} {per_sec} eta {eta}"
    };
    let style = ProgressStyle::with_template(template)
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> ");
    ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(10))
        .with_style(style)
        .with_message(what.to_owned())
}
