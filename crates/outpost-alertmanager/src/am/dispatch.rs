//! The dispatcher: alerts into aggregation groups, group timers on the
//! clock, maintenance, and the flush of a group to its receiver's
//! integrations (deduplicated against the notification log).

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use super::delivery::run_integration;
use super::{ALERT_GC_MS, Group, GroupId, Inner, MAINTENANCE_MS, State, alert_order};
use crate::activity::Busy;
use crate::alert::{Alert, labelset_string};
use crate::inhibit::InhibitSnapshot;
use crate::nflog::{NFLOG_RETENTION_MS, NflogEntry, NflogKey, needs_update};
use crate::notify::Integration;
use crate::timeinterval;

pub(super) fn insert_into_groups(st: &mut State, inner: &Inner, a: &Alert, now: i64) {
    let running = st.running.clone();
    for route in running.tree.match_labels(&a.labels) {
        let node = running.tree.node(route);
        let labels = running.tree.group_labels(route, &a.labels);
        let key = format!("{}:{}", node.key, labelset_string(&labels));
        let id = (route, key);
        if !st.groups.contains_key(&id) {
            if st.groups.len() >= inner.opts.max_groups {
                inner
                    .metrics
                    .groups_rejected_cap
                    .fetch_add(1, Ordering::Relaxed);
                continue;
            }
            st.groups.insert(
                id.clone(),
                Group {
                    route,
                    key: id.1.clone(),
                    labels,
                    alerts: HashMap::new(),
                    next_flush: now + node.opts.group_wait_ms,
                    flushed: false,
                    flushing: false,
                },
            );
        }
        let Some(g) = st.groups.get_mut(&id) else {
            continue;
        };
        g.alerts.insert(a.fingerprint, a.clone());
        if !g.flushed && a.starts_at + node.opts.group_wait_ms < now {
            g.next_flush = g.next_flush.min(now);
        }
    }
}

/// The dispatcher loop; `busy` is its activity token, taken before it was
/// spawned.
pub(super) async fn run_dispatcher(inner: Arc<Inner>, mut busy: Busy) {
    let mut stop = inner.stop.subscribe();
    loop {
        let notified = inner.wake.notified();
        // The state read below covers every change kicked so far.
        inner.activity.take_kick();
        let (due, next) = {
            let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
            let now = inner.clock.now_ms();
            maintenance(&mut st, &inner, now);
            let running = st.running.clone();
            let mut due = Vec::new();
            let mut next = now + MAINTENANCE_MS;
            for (id, g) in st.groups.iter_mut() {
                if g.flushing {
                    continue;
                }
                if g.next_flush <= now {
                    g.next_flush = now + running.tree.node(g.route).opts.group_interval_ms;
                    // Upstream sets `hasFlushed` when the timer fires, before
                    // (and whatever the outcome of) the flush.
                    g.flushed = true;
                    due.push(id.clone());
                }
                next = next.min(g.next_flush);
            }
            (due, next)
        };
        for id in due {
            let inner = inner.clone();
            let work = inner.activity.busy();
            tokio::spawn(async move { flush(inner, id, work).await });
        }
        // Parked until the next timer; a kick wakes it earlier and is
        // pending (for `settled`) until then.
        let stopped = busy
            .idle_until(next, async {
                tokio::select! {
                    _ = inner.clock.sleep_until(next) => false,
                    _ = notified => false,
                    _ = stop.wait_for(|s| *s) => true,
                }
            })
            .await;
        if stopped {
            inner.activity.close();
            return;
        }
    }
}

pub(super) fn maintenance(st: &mut State, inner: &Inner, now: i64) {
    if now - st.last_maintenance >= MAINTENANCE_MS {
        st.last_maintenance = now;
        st.groups.retain(|_, g| g.flushing || !g.alerts.is_empty());
        st.nflog.retain(|_, e| e.expires_at >= now);
        let gone = st.silences.gc(now);
        if let Some(p) = &inner.persist {
            for id in &gone {
                p.delete_silence(id);
            }
            p.expire_nflog(now);
        }
    }
    if now - st.last_gc >= ALERT_GC_MS {
        st.last_gc = now;
        st.alerts.retain(|_, a| !a.resolved_at(now));
    }
}

/// One integration's work in a flush.
struct Job {
    integration: Integration,
    key: NflogKey,
    entry: NflogEntry,
    send: Option<Vec<Alert>>,
}

/// Flushes a group; `busy` is the flush's activity token, taken before it
/// was spawned. Each integration's job has its own; the last job to finish
/// hands its token back, so the work stays counted until the notification
/// log is written, while a job waiting on a retry backoff is not counted.
pub(super) async fn flush(inner: Arc<Inner>, id: GroupId, busy: Busy) {
    let now = inner.clock.now_ms();
    let prepared = {
        let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
        let running = st.running.clone();
        let inh = InhibitSnapshot::new(&running.config.inhibit_rules, st.alerts.values(), now);
        let Some(g) = st.groups.get(&id) else {
            return;
        };
        if g.alerts.is_empty() {
            return;
        }
        let mut snapshot: Vec<Alert> = g.alerts.values().cloned().collect();
        snapshot.sort_by(alert_order);
        let node = running.tree.node(g.route);
        let group_labels = g.labels.clone();
        let group_key = g.key.clone();
        // Mute stages: inhibition, active/mute time intervals, silences.
        let mut kept: Vec<Alert> = snapshot
            .iter()
            .filter(|a| inh.inhibited_by(&a.labels, a.fingerprint).is_none())
            .cloned()
            .collect();
        let intervals = &running.config.time_interval_defs;
        if !node.opts.active_time_intervals.is_empty()
            && !timeinterval::any_active(intervals, &node.opts.active_time_intervals, now)
        {
            kept.clear();
        }
        if timeinterval::any_active(intervals, &node.opts.mute_time_intervals, now) {
            kept.clear();
        }
        kept.retain(|a| st.silences.silenced_by(&a.labels, now).is_empty());
        let receiver = node.opts.receiver.clone();
        let repeat = node.opts.repeat_interval_ms;
        let group_interval = node.opts.group_interval_ms;
        let firing: BTreeSet<u64> = kept
            .iter()
            .filter(|a| !a.resolved_at(now))
            .map(|a| a.fingerprint.0)
            .collect();
        let resolved: BTreeSet<u64> = kept
            .iter()
            .filter(|a| a.resolved_at(now))
            .map(|a| a.fingerprint.0)
            .collect();
        let mut jobs = Vec::new();
        if !kept.is_empty() {
            for integ in running.integrations.get(&receiver).into_iter().flatten() {
                let key = NflogKey {
                    group_key: group_key.clone(),
                    receiver: receiver.clone(),
                    integration: integ.name.clone(),
                    index: integ.index,
                };
                let prev = st.nflog.get(&key);
                if !needs_update(prev, &firing, &resolved, integ.send_resolved, repeat, now) {
                    continue;
                }
                let to_send: Vec<Alert> = kept
                    .iter()
                    .filter(|a| integ.send_resolved || !a.resolved_at(now))
                    .cloned()
                    .collect();
                jobs.push(Job {
                    integration: integ.clone(),
                    entry: NflogEntry {
                        firing: firing.clone(),
                        resolved: resolved.clone(),
                        ts: now,
                        expires_at: now + NFLOG_RETENTION_MS.min(2 * repeat),
                    },
                    key,
                    send: (!to_send.is_empty()).then_some(to_send),
                });
            }
        }
        if let Some(g) = st.groups.get_mut(&id) {
            g.flushing = true;
        }
        (
            snapshot,
            jobs,
            receiver,
            group_key,
            group_labels,
            group_interval,
            running,
        )
    };
    let (snapshot, jobs, receiver, group_key, group_labels, group_interval, running) = prepared;
    let timeout = Duration::from_millis(u64::try_from(group_interval).unwrap_or(0))
        .max(inner.opts.min_notify_timeout);
    let mut handles = Vec::new();
    let remaining = Arc::new(AtomicUsize::new(jobs.len()));
    for job in jobs {
        let mut work = inner.activity.busy();
        let remaining = remaining.clone();
        let inner = inner.clone();
        let receiver = receiver.clone();
        let group_key = group_key.clone();
        let group_labels = group_labels.clone();
        let running = running.clone();
        handles.push(tokio::spawn(async move {
            let ok = match &job.send {
                None => {
                    inner
                        .metrics
                        .with(&job.integration.name, |p| p.notifications += 1);
                    true
                }
                Some(alerts) => {
                    run_integration(
                        &inner,
                        &mut work,
                        &running.templates,
                        &job.integration,
                        &receiver,
                        &group_key,
                        &group_labels,
                        alerts,
                        timeout,
                    )
                    .await
                }
            };
            // Like `nflog.Log`, the entry's time is taken when it is written,
            // after the send.
            let mut entry = job.entry;
            let logged_at = inner.clock.now_ms();
            entry.expires_at = logged_at + (entry.expires_at - entry.ts);
            entry.ts = logged_at;
            let last = remaining.fetch_sub(1, Ordering::AcqRel) == 1;
            (ok, job.key, entry, last.then_some(work))
        }));
    }
    // Waiting for the jobs is no work of its own.
    let mut busy = handles.is_empty().then_some(busy);
    let mut all_ok = true;
    let mut logged = Vec::new();
    for h in handles {
        match h.await {
            Ok((ok, k, e, work)) => {
                if work.is_some() {
                    busy = work;
                }
                if ok {
                    logged.push((k, e));
                } else {
                    all_ok = false;
                }
            }
            Err(_) => all_ok = false,
        }
    }
    // A job that panicked returned no token.
    let _busy = busy.unwrap_or_else(|| inner.activity.busy());
    {
        let mut st = inner.state.lock().unwrap_or_else(|e| e.into_inner());
        for (k, e) in logged {
            if let Some(p) = &inner.persist {
                p.put_nflog(&k, &e);
            }
            st.nflog.insert(k, e);
        }
        if let Some(g) = st.groups.get_mut(&id) {
            g.flushing = false;
            if all_ok {
                for a in snapshot.iter().filter(|a| a.resolved_at(now)) {
                    if g.alerts
                        .get(&a.fingerprint)
                        .is_some_and(|cur| cur.updated_at == a.updated_at)
                    {
                        g.alerts.remove(&a.fingerprint);
                    }
                }
            }
        }
    }
    inner.kick();
}
