//! A full disk: the store lives on a 1 MiB tmpfs mounted in a private mount
//! namespace (`unshare`), is filled until writes fail, and must fail cleanly:
//! exit status 3, a message naming the problem, no leftovers, and every earlier
//! write intact. After space is freed, writes and syncs work again.

use std::collections::BTreeMap;
use std::process::Command;

const SCRIPT: &str = r#"
set -u
mount -t tmpfs -o size=1m tmpfs "$MNT" || exit 90
export CACHEMAN_DIR="$MNT/store"
head -c 196608 /dev/zero > "$MNT/ballast"
"$BIN" set c k0 first || exit 91
"$BIN" sync c -q || exit 92
n=0
while :; do
  head -c 65536 /dev/urandom | "$BIN" set c "fill$n" 2>"$OUT/set.err" || { echo "failed_set=$?"; break; }
  n=$((n+1)); [ "$n" -lt 100 ] || exit 93
done
echo "filled=$n"
echo "tmp_left=$(find "$MNT/store" -name '*.tmp' -o -name 'tmp.*' | wc -l)"
echo "k0=$("$BIN" get c k0)"
echo "fill0=$("$BIN" get c fill0 | wc -c)"
"$BIN" sync c -q 2>"$OUT/sync.err"; echo "full_sync=$?"
echo "k0_after_sync=$("$BIN" get c k0)"
rm "$MNT/ballast"
"$BIN" set c after ok; echo "after=$?"
"$BIN" sync c -q; echo "freed_sync=$?"
echo "after_value=$("$BIN" get c after)"
echo "k0_final=$("$BIN" get c k0)"
echo "fill0_final=$("$BIN" get c fill0 | wc -c)"
"#;

#[test]
fn a_full_disk_fails_cleanly_and_keeps_every_earlier_write() {
    let out = tempfile::tempdir().unwrap();
    let mnt = out.path().join("mnt");
    std::fs::create_dir(&mnt).unwrap();
    let run = Command::new("unshare")
        .args(["--mount", "--map-root-user", "sh", "-c", SCRIPT])
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", out.path())
        .env("BIN", env!("CARGO_BIN_EXE_cacheman"))
        .env("MNT", &mnt)
        .env("OUT", out.path())
        .output()
        .expect("this test needs util-linux's unshare");
    let stdout = String::from_utf8_lossy(&run.stdout);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        run.status.success(),
        "script failed: {:?}\n{stdout}\n{stderr}",
        run.status
    );
    let facts: BTreeMap<&str, &str> = stdout.lines().filter_map(|l| l.split_once('=')).collect();
    let set_err = std::fs::read_to_string(out.path().join("set.err")).unwrap();

    assert_eq!(
        facts["failed_set"], "3",
        "a write on a full disk exits 3\n{stdout}"
    );
    assert!(
        set_err.contains("No space left") && set_err.contains("hint:"),
        "{set_err}"
    );
    assert_eq!(
        set_err
            .lines()
            .filter(|l| l.starts_with("cacheman: error:"))
            .count(),
        1,
        "{set_err}"
    );
    assert!(facts["filled"].parse::<u32>().unwrap() >= 2, "{stdout}");
    assert_eq!(
        facts["tmp_left"], "0",
        "a failed write left temporary files\n{stdout}"
    );
    assert_eq!(facts["k0"], "first");
    assert_eq!(facts["fill0"], "65536");
    assert!(["0", "3"].contains(&facts["full_sync"]), "{stdout}");
    assert_eq!(
        facts["k0_after_sync"], "first",
        "a failed sync kept the state"
    );
    assert_eq!(
        facts["after"], "0",
        "writes work once space is freed\n{stdout}"
    );
    assert_eq!(facts["freed_sync"], "0");
    assert_eq!(facts["after_value"], "ok");
    assert_eq!(facts["k0_final"], "first");
    assert_eq!(facts["fill0_final"], "65536");
}
