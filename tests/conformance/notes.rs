//! The notes family: `run`'s per-command notes written, read, replaced and
//! deleted by cache and id, kept apart from the cache's entries, and swept.

use std::time::{Duration, SystemTime};

use cacheman::KeepNotes;

use super::{Engine, Fixture, name};

pub fn notes_round_trip_overwrite_and_delete<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("run");
    f.set(&cache, b"k", b"v");
    let (one, two) = ([1; 32], [2; 32]);
    f.store.set_note(&cache, &one, b"first").unwrap();
    f.store.set_note(&cache, &two, b"").unwrap();
    assert_eq!(f.store.note(&cache, &one).unwrap().unwrap(), b"first");
    assert_eq!(f.store.note(&cache, &two).unwrap().unwrap(), b"");
    f.store.set_note(&cache, &one, b"second").unwrap();
    let reopened = f.reopen::<E>();
    assert_eq!(reopened.note(&cache, &one).unwrap().unwrap(), b"second");
    assert!(f.store.delete_note(&cache, &one).unwrap());
    assert_eq!(f.store.note(&cache, &one).unwrap(), None);
    assert!(!f.store.delete_note(&cache, &one).unwrap(), "already gone");
    assert_eq!(f.store.note(&cache, &two).unwrap().unwrap(), b"");
    assert_eq!(f.store.keys(&cache).unwrap(), vec![b"k".to_vec()]);
    assert_eq!(f.store.note(&name("other"), &two).unwrap(), None);
}

pub fn notes_of_an_unknown_cache_need_no_cache<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("never-made");
    assert_eq!(f.store.note(&cache, &[9; 32]).unwrap(), None);
    assert!(!f.store.delete_note(&cache, &[9; 32]).unwrap());
    f.store.set_note(&cache, &[9; 32], b"note").unwrap();
    assert_eq!(f.store.note(&cache, &[9; 32]).unwrap().unwrap(), b"note");
    assert_eq!(f.store.settings(&cache).unwrap(), None, "no cache made");
    assert!(f.store.cache_names().unwrap().is_empty());
    assert_eq!(f.store.note_caches(), vec!["never-made".to_string()]);
}

pub fn a_sweep_keeps_the_notes_it_is_told_and_spares_new_ones<E: Engine>() {
    let f = Fixture::new::<E>();
    let cache = name("run");
    f.store.set_note(&cache, &[1; 32], b"live").unwrap();
    f.store.set_note(&cache, &[2; 32], b"dead").unwrap();
    let keep = |body: &[u8]| body == b"live";
    let before = SystemTime::now() - Duration::from_secs(60);
    let spared = KeepNotes {
        keep: &keep,
        listed: before,
    };
    assert_eq!(f.store.sweep_notes("run", Some(spared)), 0, "written since");
    let later = KeepNotes {
        keep: &keep,
        listed: SystemTime::now() + Duration::from_secs(60),
    };
    assert_eq!(f.store.sweep_notes("run", Some(later)), 1);
    assert_eq!(f.store.note(&cache, &[1; 32]).unwrap().unwrap(), b"live");
    assert_eq!(f.store.note(&cache, &[2; 32]).unwrap(), None);
    assert_eq!(f.store.sweep_notes("run", None), 1, "the cache is gone");
    assert_eq!(f.store.note(&cache, &[1; 32]).unwrap(), None);
    assert!(f.store.note_caches().is_empty());
}
