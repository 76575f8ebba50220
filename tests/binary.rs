//! Binary safety: keys and values that are not UTF-8 or hold NUL bytes, values
//! around the inline/blob threshold, a 100 MiB value streamed through stdin and
//! back, and a closed stdout.

use crate::common;

use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::process::Stdio;
use std::time::Duration;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use common::{Env, Noise, json, os, peak_rss_kib, split_nul};
use serde_json::json;

#[test]
fn values_with_nul_bytes_and_invalid_utf8_round_trip_exactly() {
    let env = Env::new();
    let binary: Vec<u8> = (0..=255u8).chain([0, 0, b'\n', 0xff, 0xfe]).collect();
    env.cmd(["set", "c", "stdin"]).stdin(binary.clone()).run();
    env.cmd(["get", "c", "stdin"]).stdout(&binary).run();

    let file = env.path("value.bin");
    fs::write(&file, &binary).unwrap();
    env.cmd(["set", "c", "file", "--file"]).arg(&file).run();
    env.cmd(["get", "c", "file"]).stdout(&binary).run();

    // Arguments cannot hold NUL, but can hold any other byte.
    let arg: Vec<u8> = binary.iter().copied().filter(|&b| b != 0).collect();
    env.cmd(["set", "c", "arg"]).arg(os(&arg)).run();
    env.cmd(["get", "c", "arg"]).stdout(&arg).run();

    // Nothing is added: no trailing newline, no conversion.
    env.cmd(["set", "c", "nl"]).stdin("no newline").run();
    env.cmd(["get", "c", "nl"]).stdout("no newline").run();
    env.cmd(["set", "c", "crlf"]).stdin("a\r\nb\r\n").run();
    env.cmd(["get", "c", "crlf"]).stdout("a\r\nb\r\n").run();
    // A literal "-" can be stored through stdin.
    env.cmd(["set", "c", "dash", "-"]).stdin("-").run();
    env.cmd(["get", "c", "dash"]).stdout("-").run();

    // They survive a sync byte for byte.
    env.cmd(["sync", "-q"]).run();
    env.cmd(["get", "c", "stdin"]).stdout(&binary).run();
    env.cmd(["get", "c", "arg"]).stdout(&arg).run();
}

#[test]
fn json_shows_binary_values_as_base64() {
    let env = Env::new();
    env.cmd(["set", "c", "bin"])
        .stdin(b"\x00\xff\x80bin".to_vec())
        .run();
    env.set("c", "text", "café ☕");
    let out = env
        .cmd(["get", "c", "bin", "text", "--json"])
        .any_stdout()
        .run()
        .stdout;
    let items = json(&out);
    assert_eq!(
        items[0]["value"],
        json!({"bytes": STANDARD.encode(b"\x00\xff\x80bin")})
    );
    assert_eq!(items[1]["value"], "café ☕");
}

#[test]
fn non_utf8_keys_work_everywhere() {
    let env = Env::new();
    let keys: [&[u8]; 4] = [b"\xff\xfe", b"caf\xe9", b"tab\there", b"plain"];
    for (i, key) in keys.iter().enumerate() {
        env.cmd(["set", "c"])
            .arg(os(key))
            .arg(format!("v{i}"))
            .run();
    }
    for (i, key) in keys.iter().enumerate() {
        env.cmd(["get", "c"])
            .arg(os(key))
            .stdout(format!("v{i}"))
            .run();
        env.cmd(["has", "c"]).arg(os(key)).run();
    }
    // A key that differs in one byte is another key.
    env.cmd(["get", "c"]).arg(os(b"\xff\xfd")).status(1).run();

    // keys -0 gives the exact bytes, sorted.
    let mut sorted: Vec<Vec<u8>> = keys.iter().map(|k| k.to_vec()).collect();
    sorted.sort();
    assert_eq!(env.keys("c"), sorted);
    // Plain keys: one per line, raw bytes.
    let plain = env.cmd(["keys", "c"]).any_stdout().run().stdout;
    let expected: Vec<u8> = sorted
        .iter()
        .flat_map(|k| [k.as_slice(), b"\n"].concat())
        .collect();
    assert_eq!(plain, expected);

    // keys --json: UTF-8 keys as strings, others as {"bytes": base64}.
    let out = env.cmd(["keys", "c", "--json"]).any_stdout().run().stdout;
    let listed = json(&out);
    let expected: Vec<_> = sorted
        .iter()
        .map(|k| match std::str::from_utf8(k) {
            Ok(text) => json!(text),
            Err(_) => json!({"bytes": STANDARD.encode(k)}),
        })
        .collect();
    assert_eq!(listed, json!(expected));
    assert!(
        listed
            .as_array()
            .unwrap()
            .contains(&json!({"bytes": "//4="}))
    );

    // get --json names such keys the same way.
    let out = env
        .cmd(["get", "c", "--json"])
        .arg(os(b"\xff\xfe"))
        .any_stdout()
        .run()
        .stdout;
    assert_eq!(json(&out)[0]["key"], json!({"bytes": "//4="}));

    // A glob matches them, and del removes them.
    let out = env
        .cmd(["keys", "c", "caf*", "-0"])
        .any_stdout()
        .run()
        .stdout;
    assert_eq!(split_nul(&out), [b"caf\xe9".to_vec()]);
    env.cmd(["del", "c"]).arg(os(b"\xff\xfe")).run();
    env.cmd(["get", "c"]).arg(os(b"\xff\xfe")).status(1).run();
    env.cmd(["sync", "-q"]).run();
    env.cmd(["get", "c"]).arg(os(b"caf\xe9")).stdout("v1").run();
    assert_eq!(env.keys("c").len(), 3);
}

#[test]
fn keys_with_newlines_need_null_separators() {
    let env = Env::new();
    env.set("c", "a\nb", "1");
    env.set("c", "a", "2");
    env.cmd(["keys", "c", "-0"]).stdout(b"a\0a\nb\0").run();
    let out = env.cmd(["keys", "c", "--json"]).any_stdout().run().stdout;
    assert_eq!(json(&out), json!(["a", "a\nb"]));
}

#[test]
fn values_around_the_inline_threshold() {
    let env = Env::new();
    let sizes = [0, 1, 4095, 4096, 4097, 8192, 65_536, 65_537, 300_001];
    let mut noise = Noise::new(1);
    let values: Vec<Vec<u8>> = sizes.iter().map(|&n| noise.bytes(n)).collect();
    for (size, value) in sizes.iter().zip(&values) {
        env.cmd(["set", "c", &format!("stdin-{size}")])
            .stdin(value.clone())
            .run();
        let file = env.path(format!("value-{size}"));
        fs::write(&file, value).unwrap();
        env.cmd(["set", "c", &format!("file-{size}"), "--file"])
            .arg(&file)
            .run();
    }
    // And as arguments (no NUL bytes there).
    for size in [4095usize, 4096, 4097] {
        let value: Vec<u8> = (0..size).map(|i| b'a' + (i % 26) as u8).collect();
        env.cmd(["set", "c", &format!("arg-{size}")])
            .arg(os(&value))
            .run();
        env.cmd(["get", "c", &format!("arg-{size}")])
            .stdout(&value)
            .run();
    }
    let check = || {
        for (size, value) in sizes.iter().zip(&values) {
            for how in ["stdin", "file"] {
                env.cmd(["get", "c", &format!("{how}-{size}")])
                    .stdout(value)
                    .run();
            }
        }
    };
    check();
    let total: u64 = sizes
        .iter()
        .map(|&n| (n + format!("stdin-{n}").len() + n + format!("file-{n}").len()) as u64)
        .sum::<u64>()
        + [4095u64, 4096, 4097].iter().map(|n| n + 8).sum::<u64>();
    assert_eq!(env.ls_cache("c")["bytes"], total);
    env.cmd(["sync", "-q"]).run();
    check();
    assert_eq!(env.ls_cache("c")["bytes"], total);
}

#[test]
fn a_100_mib_value_streams_through_in_bounded_memory() {
    const MIB: usize = 1 << 20;
    const SIZE: usize = 100 * MIB;
    let env = Env::new();
    let input = env.path("big.in");
    {
        // 100 distinct MiB: one MiB of noise, rotated differently each time.
        let noise = Noise::new(42).bytes(MIB);
        let mut out = BufWriter::new(File::create(&input).unwrap());
        for i in 0..SIZE / MIB {
            let at = (i * 7919) % MIB;
            out.write_all(&noise[at..]).unwrap();
            out.write_all(&noise[..at]).unwrap();
        }
        out.flush().unwrap();
    }
    assert_eq!(fs::metadata(&input).unwrap().len(), SIZE as u64);

    let mut set = env
        .std_command()
        .args(["set", "c", "big"])
        .stdin(File::open(&input).unwrap())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut peak_set = 0;
    let status = loop {
        if let Some(status) = set.try_wait().unwrap() {
            break status;
        }
        peak_set = peak_set.max(peak_rss_kib(set.id()).unwrap_or(0));
        std::thread::sleep(Duration::from_millis(5));
    };
    let mut stderr = String::new();
    set.stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "set failed: {stderr}");
    assert_eq!(stderr, "");

    let mut get = env
        .std_command()
        .args(["get", "c", "big"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = get.stdout.take().unwrap();
    let mut expected = File::open(&input).unwrap();
    let mut got = vec![0; MIB];
    let mut want = vec![0; MIB];
    let mut total = 0usize;
    let mut peak_get = 0;
    loop {
        let n = stdout.read(&mut got).unwrap();
        if n == 0 {
            break;
        }
        assert!(total + n <= SIZE, "get printed more than was stored");
        expected.read_exact(&mut want[..n]).unwrap();
        assert!(
            got[..n] == want[..n],
            "bytes differ within {n} bytes after offset {total}"
        );
        total += n;
        peak_get = peak_get.max(peak_rss_kib(get.id()).unwrap_or(0));
    }
    let out = get.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stderr.is_empty());
    assert_eq!(total, SIZE);

    // Memory stays bounded (the value never sits in memory whole). The peaks are
    // sampled, so they can only under-estimate.
    assert!(peak_set < 48 * 1024, "set peaked at {peak_set} KiB");
    assert!(peak_get < 48 * 1024, "get peaked at {peak_get} KiB");

    let c = env.ls_cache("c");
    assert_eq!(c["bytes"], SIZE as u64 + 3);
    assert_eq!(c["entries"], 1);
}

#[test]
fn a_closed_stdout_ends_get_quietly() {
    let env = Env::new();
    let value = Noise::new(9).bytes(4 << 20);
    let file = env.path("value");
    fs::write(&file, &value).unwrap();
    env.cmd(["set", "c", "big", "--file"]).arg(&file).run();
    for args in [&["get", "c", "big"][..], &["get", "c", "big", "--json"]] {
        let (first, out) = read_one_byte_then_close(&env, args);
        if args.len() == 3 {
            assert_eq!(first[0], value[0]);
        } else {
            assert_eq!(first[0], b'[');
        }
        assert_eq!(
            out.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

#[test]
fn a_closed_stdout_ends_keys_and_completions_quietly() {
    let env = Env::new();
    // Long keys make a listing bigger than a pipe's buffer in few writes.
    for i in 0..40 {
        env.set("c", format!("{i:04}-{}", "k".repeat(4000)), "v");
    }
    for args in [
        &["keys", "c"][..],
        &["keys", "c", "--json"],
        &["completions", "zsh"],
    ] {
        let (_, out) = read_one_byte_then_close(&env, args);
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert_eq!(String::from_utf8_lossy(&out.stderr), "", "{args:?}");
    }
}

/// Runs a command, reads one byte of its stdout, then closes the pipe, like
/// `| head -c1`; returns that byte and how the command ended.
fn read_one_byte_then_close(env: &Env, args: &[&str]) -> ([u8; 1], std::process::Output) {
    let mut child = env
        .std_command()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = child.stdout.take().unwrap();
    let mut first = [0u8; 1];
    stdout.read_exact(&mut first).unwrap();
    drop(stdout);
    (first, child.wait_with_output().unwrap())
}
