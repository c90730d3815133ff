//! License normalization, safe display, wrapping and the pager on arbitrary bytes:
//! never a panic; normal form is a fixed point; no control character survives
//! sanitizing; no wrapped line is wider than the width.
#![no_main]

use eula_gate::license::sanitize;
use eula_gate::normalize;
use eula_gate::term::keys::Key;
use eula_gate::term::pager::{Pager, frame_limit};
use eula_gate::term::wrap::{str_width, wrap};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&first, raw)) = data.split_first() else { return };
    let width = usize::from(first % 120) + 2;
    let Ok(text) = normalize(raw) else { return };
    assert_eq!(normalize(text.as_bytes()).as_deref(), Ok(text.as_str()));
    let shown = sanitize(&text);
    assert!(shown.chars().all(|c| !c.is_control() || c == '\n' || c == '\t'));
    // Rows are measured as shown; tabs (laid out by the pager) are left out here.
    let untabbed = shown.replace('\t', " ");
    for range in wrap(&untabbed, width) {
        assert!(str_width(&untabbed[range]) <= width);
    }
    let Ok(mut pager) = Pager::new("fuzz", &text, 8, width as u16, first & 1 == 0) else { return };
    let query: String = text.chars().take(3).collect();
    pager.search(&query);
    for key in [Key::Char(' '), Key::Char('n'), Key::Char('N'), Key::End, Key::Char('b'), Key::Up] {
        pager.handle(key);
        assert!(pager.render().len() <= frame_limit(8, width as u16));
    }
    let _ = pager.resize(5, (width as u16).saturating_sub(1).max(2));
    assert!(pager.render().len() <= frame_limit(5, (width as u16).saturating_sub(1).max(2)));
});
