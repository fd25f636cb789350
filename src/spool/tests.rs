use super::*;
use std::fs;
use std::os::unix::fs::{symlink, PermissionsExt};
use std::time::Instant;
use trust::euid;

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("spread-spool-{tag}-{}-{:08x}", std::process::id(), random_u32()));
    let _ = fs::remove_dir_all(&d);
    d
}

fn dest(url: &str) -> Destination {
    Destination::new(url, "PUBLIC_KEY")
}

fn open(dir: &Path) -> Spool {
    Spool::open(dir).unwrap().0
}

#[test]
fn push_read_reject_round_trip() {
    let dir = tempdir("rt");
    let (spool, created) = Spool::open(&dir).unwrap();
    assert!(created);
    let d = dest("https://a.example/api");
    let a = spool.push(&d, Some("1"), b"a=1").unwrap();
    let b = spool.push(&d, None, b"b=\n\n2").unwrap();
    assert_eq!(spool.entries_for(&d, false).unwrap(), vec![a.clone(), b.clone()]);
    let e = spool.read(&b).unwrap().unwrap().unwrap();
    assert_eq!((e.owner, e.order_id, e.body.as_slice()), (Owner::Known(d.clone()), None, &b"b=\n\n2"[..]));
    assert_eq!(fs::metadata(&a).unwrap().permissions().mode() & 0o777, 0o600);
    assert_eq!(fs::metadata(&dir).unwrap().permissions().mode() & 0o777, 0o700);
    assert!(!fs::read_to_string(&a).unwrap().contains("PUBLIC_KEY"), "no key in the spool");
    spool.reject(&a, "HTTP 422: missing field").unwrap();
    let st = spool.status(&d).unwrap();
    assert_eq!((st.pending, st.rejected), (1, 1));
    assert!(st.oldest.is_some());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn entries_belong_to_their_destination() {
    let dir = tempdir("dest");
    let spool = open(&dir);
    let (a, b) = (dest("https://a.example/api"), Destination::new("https://a.example/api", "OTHER_KEY"));
    spool.push(&a, Some("1"), b"a").unwrap();
    spool.push(&b, Some("1"), b"b").unwrap();
    spool.push(&b, Some("2"), b"b").unwrap();
    assert_eq!(spool.entries_for(&a, false).unwrap().len(), 1);
    assert_eq!(spool.pending(&b).unwrap(), 2);
    let st = spool.status(&a).unwrap();
    assert_eq!((st.pending, st.foreign, st.legacy), (1, 2, 0));
    fs::write(dir.join("000000000000000001234567-00000001-0000004242.req"), "SPREAD-SPOOL 1\nendpoint updateOrder\nlength 0\n\n").unwrap();
    assert_eq!(spool.status(&a).unwrap().legacy, 1);
    assert_eq!(spool.entries_for(&a, true).unwrap().len(), 2);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn order_follows_the_counter_not_the_clock_and_names_never_collide() {
    let dir = tempdir("seq");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    let reserved = spool.reserve().unwrap();
    let later = spool.push(&d, Some("9"), b"later").unwrap();
    let earlier = spool.push_at(&d, Some("9"), b"earlier", Some(reserved)).unwrap();
    // The entry written second, with the place taken first, goes first.
    assert_eq!(spool.entries_for(&d, false).unwrap(), vec![earlier, later]);
    // A counter file that lost its updates (another boot) never goes below what is on disk.
    fs::write(dir.join(".seq"), "another-boot 0\n").unwrap();
    let next = spool.reserve().unwrap();
    assert!(next > reserved + 1, "{next}");
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn the_rename_never_replaces_an_entry() {
    let dir = tempdir("noreplace");
    fs::create_dir_all(&dir).unwrap();
    fs::write(dir.join("a"), "one").unwrap();
    fs::write(dir.join("b"), "two").unwrap();
    let d = fsat::Dir::open(&dir).unwrap();
    assert!(d.rename_noreplace("a", &d, "b").is_err());
    assert_eq!(fs::read_to_string(dir.join("b")).unwrap(), "two");
    d.rename_noreplace("a", &d, "c").unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn folders_others_can_write_are_refused() {
    let dir = tempdir("world");
    fs::create_dir_all(&dir).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o777)).unwrap();
    let e = Spool::open(&dir).unwrap_err();
    assert_eq!(e.kind, ErrorKind::Config);
    assert!(e.message.contains("writable by every user"), "{e}");
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o700)).unwrap();
    open(&dir);
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn symlinks_inside_are_not_followed() {
    let dir = tempdir("symlink");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    let secret = dir.with_extension("secret");
    fs::write(&secret, "not an entry").unwrap();
    let planted = dir.join(entry::file_name(1, &d.tag(), &order_key(None), 1));
    symlink(&secret, &planted).unwrap();
    // Not listed (not a regular file), and not read through the link either: not an entry.
    assert!(spool.entries_for(&d, false).unwrap().is_empty());
    assert_eq!(spool.read(&planted).unwrap().unwrap().unwrap_err(), "a symlink");
    // A sub-folder replaced by a symlink is refused.
    fs::remove_dir(dir.join("rejected")).unwrap();
    symlink(std::env::temp_dir(), dir.join("rejected")).unwrap();
    assert_eq!(Spool::open(&dir).unwrap_err().kind, ErrorKind::Config);
    fs::remove_file(secret).unwrap();
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_removed_folder_is_made_again() {
    let dir = tempdir("removed");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    fs::remove_dir_all(&dir).unwrap();
    assert!(!spool.has_pending(&d).unwrap());
    fs::remove_dir_all(&dir).unwrap();
    spool.push(&d, Some("1"), b"x").unwrap();
    assert_eq!(spool.pending(&d).unwrap(), 1);
    fs::remove_dir_all(&dir).unwrap();
    assert!(spool.try_lock().unwrap().is_some());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn broken_files_are_told_apart_from_unreadable_ones() {
    let dir = tempdir("broken");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    let p = spool.push(&d, Some("1"), b"abcdef").unwrap();
    let bytes = fs::read(&p).unwrap();
    fs::write(&p, &bytes[..bytes.len() - 1]).unwrap();
    assert!(spool.read(&p).unwrap().unwrap().is_err(), "a complete file that is not an entry");
    spool.set_aside_unreadable(&p, "truncated").unwrap();
    assert_eq!(spool.status(&d).unwrap().unreadable, 1);
    assert!(spool.read(&p).unwrap().is_none(), "gone");
    if euid() != 0 {
        // Root reads anything: this check only means something for other users.
        let q = spool.push(&d, Some("2"), b"x").unwrap();
        fs::set_permissions(&q, fs::Permissions::from_mode(0o000)).unwrap();
        assert_eq!(spool.read(&q).unwrap_err().kind, ErrorKind::Io);
    }
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_flusher_at_a_time() {
    let dir = tempdir("lock");
    let spool = open(&dir);
    let held = spool.try_lock().unwrap();
    assert!(held.is_some());
    assert!(spool.try_lock().unwrap().is_none());
    drop(held);
    assert!(spool.try_lock().unwrap().is_some());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn one_update_of_an_order_in_flight() {
    let dir = tempdir("orderlock");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    let lock = spool.lock_order(&d, "42", Instant::now()).unwrap().unwrap();
    assert!(Spool::holds(&lock, &d, "42"));
    assert!(spool.lock_order(&d, "42", Instant::now() + Duration::from_millis(30)).unwrap().is_none());
    drop(lock);
    assert!(spool.lock_order(&d, "42", Instant::now()).unwrap().is_some());
    fs::remove_dir_all(dir).unwrap();
}

#[test]
fn rejected_entries_are_listed_requeued_and_purged() {
    let dir = tempdir("rejected-mgmt");
    let spool = open(&dir);
    let d = dest("https://a.example/api");
    for id in ["1", "2", "3"] {
        let p = spool.push(&d, Some(id), format!("id={id}").as_bytes()).unwrap();
        spool.reject(&p, &format!("HTTP 422: order {id}")).unwrap();
    }
    let list = spool.rejected().unwrap();
    assert_eq!(list.iter().map(|r| r.order_id.as_deref().unwrap()).collect::<Vec<_>>(), ["1", "2", "3"]);
    assert_eq!(list[0].answer, "HTTP 422: order 1");
    for r in &list {
        assert_eq!(fs::metadata(dir.join("rejected").join(&r.name)).unwrap().permissions().mode() & 0o777, 0o600);
    }
    let (shown, body) = spool.show_rejected(&list[1].name).unwrap();
    assert_eq!((shown.order_id.as_deref(), body.as_slice()), (Some("2"), &b"id=2"[..]));
    assert_eq!(spool.show_rejected("../x.req").unwrap_err().kind, ErrorKind::InvalidValue);
    assert_eq!(spool.requeue(&d, Some(&list[0].name)).unwrap(), 1);
    assert_eq!(spool.pending(&d).unwrap(), 1);
    assert_eq!(spool.purge_rejected(Duration::from_secs(3600)).unwrap(), 0);
    assert_eq!(spool.purge_rejected(Duration::ZERO).unwrap(), 2);
    assert_eq!(spool.status(&d).unwrap().rejected, 0);
    fs::remove_dir_all(dir).unwrap();
}
