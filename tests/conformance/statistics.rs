//! The statistics family: hits and misses counted per cache, reset, and
//! reads through `uncounted` leaving them alone.

use cacheman::Clock;
use cacheman::{CounterState, Tally};

use super::{Engine, Fixture, name};

fn tally(f: &Fixture, cache: &str) -> Tally {
    match f.store.stats(&name(cache)).unwrap().counters {
        CounterState::Counting(tally) => tally,
        other => panic!("not counting: {other:?}"),
    }
}

pub fn hits_and_misses_are_counted_and_reset<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("counted");
    f.set(&cache, b"k", b"v");
    f.set(&name("other"), b"k", b"v");
    for key in [&b"k"[..], b"k", b"k", b"absent", b"absent"] {
        f.get(&cache, key);
    }
    let counted = tally(&f, "counted");
    assert_eq!((counted.hits, counted.misses), (3, 2));
    let stats = f.store.stats(&cache).unwrap();
    assert_eq!((stats.entries, stats.bytes), (1, 2));
    f.clock.advance_ms(5_000);
    f.store.reset_counters(&cache).unwrap();
    let reset = tally(&f, "counted");
    assert_eq!((reset.hits, reset.misses), (0, 0));
    assert_eq!(reset.since_ms, f.clock.now_ms());
    f.get(&cache, b"k");
    assert_eq!(tally(&f, "counted").hits, 1);
    assert_eq!(
        f.store.stats(&name("other")).unwrap().counters,
        CounterState::Absent
    );
    assert!(
        f.store.stats(&name("no-such")).is_err(),
        "stats of a missing cache"
    );
}

pub fn uncounted_reads_leave_the_counters_alone<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("quiet");
    f.set(&cache, b"k", b"v");
    f.get(&cache, b"k");
    let uncounted = f.store.uncounted();
    assert!(uncounted.get(&cache, b"k").unwrap().is_some());
    assert!(uncounted.get(&cache, b"absent").unwrap().is_none());
    let counted = tally(&f, "quiet");
    assert_eq!((counted.hits, counted.misses), (1, 0));
}
