//! The coordination family: named locks, one holder at a time, and the
//! "holder failed" answer that lets every waiter go on at once.

use std::sync::Arc;
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use cacheman::Store;
use cacheman::Turn;
use cacheman::WATCHER_LOCK;

use super::{Engine, Fixture};

/// What a waiter on `name`'s lock came to, in another thread.
fn wait_in_thread(store: &Arc<dyn Store>, name: &'static str) -> mpsc::Receiver<&'static str> {
    let (tx, rx) = mpsc::channel();
    let store = store.clone();
    thread::spawn(move || {
        let turn = match store.lock(name).unwrap() {
            Turn::Held(_) => "held",
            Turn::HolderFailed => "holder failed",
        };
        tx.send(turn).unwrap();
    });
    rx
}

/// The waiter is still waiting after a while.
fn still_waiting(rx: &mpsc::Receiver<&'static str>) {
    assert!(
        rx.recv_timeout(Duration::from_millis(150)).is_err(),
        "the lock was held"
    );
}

fn answer(rx: &mpsc::Receiver<&'static str>) -> &'static str {
    rx.recv_timeout(Duration::from_secs(10))
        .expect("the waiter got an answer")
}

pub fn a_held_lock_refuses_a_second_taker<E: Engine>() {
    let f = Fixture::new::<E>();
    let lease = f.store.try_lock("job").unwrap().expect("free");
    assert!(f.store.try_lock("job").unwrap().is_none(), "held");
    assert!(
        f.reopen::<E>().try_lock("job").unwrap().is_none(),
        "held for others too"
    );
    let other = f.store.try_lock("other-job").unwrap();
    assert!(other.is_some(), "locks are per name");
    drop(lease);
    assert!(
        f.store.try_lock("job").unwrap().is_some(),
        "dropping the lease frees it"
    );
    assert!(matches!(f.store.lock("job").unwrap(), Turn::Held(_)));
}

pub fn a_waiter_gets_the_lock_when_it_is_released<E: Engine>() {
    let f = Fixture::new::<E>();
    let lease = f.store.try_lock("job").unwrap().unwrap();
    let waiter = wait_in_thread(&f.store, "job");
    still_waiting(&waiter);
    drop(lease);
    assert_eq!(answer(&waiter), "held");
}

pub fn a_failed_holder_lets_the_waiter_go_on_without_it<E: Engine>() {
    let f = Fixture::new::<E>();
    let Turn::Held(lease) = f.store.lock("job").unwrap() else {
        panic!("a free lock is held at once");
    };
    let waiter = wait_in_thread(&f.store, "job");
    still_waiting(&waiter);
    lease.release_failed();
    assert_eq!(answer(&waiter), "holder failed");
    let next = f.store.try_lock("job").unwrap();
    assert!(next.is_some(), "the failure frees the lock");
    drop(next);
    assert!(
        matches!(f.store.lock("job").unwrap(), Turn::Held(_)),
        "a later taker holds it: the failure was for those waiting then"
    );
}

pub fn the_watcher_lock_admits_one_watcher<E: Engine>() {
    let f = Fixture::new::<E>();
    let lease = f.store.try_lock(WATCHER_LOCK).unwrap().expect("free");
    assert!(lease.held());
    assert!(
        f.reopen::<E>().try_lock(WATCHER_LOCK).unwrap().is_none(),
        "one watcher per store"
    );
    assert!(
        f.store.try_lock("another").unwrap().is_some(),
        "other names are free"
    );
    drop(lease);
    let again = f.reopen::<E>().try_lock(WATCHER_LOCK).unwrap();
    assert!(
        again.is_some_and(|lease| lease.held()),
        "free once released"
    );
}
