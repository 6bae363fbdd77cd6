use chrono::{Duration, NaiveTime, TimeZone as _, Utc};

use super::*;
use crate::domain::{LinkGeneration, TimeOfDay, TimeZone};

const REVISION: &str = "4242";

fn scheduling() -> Scheduling {
    Scheduling { jitter: Duration::zero() }
}

/// A sent nudge of `track` for subscriber `subscriber`, unanswered.
fn nudge(id: i64, subscriber: i64, track: Track) -> AnswerContext {
    let now = Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap();
    AnswerContext {
        delivery_id: id,
        subscriber_id: subscriber,
        track,
        variant: format!("v{id}"),
        slot: now - Duration::hours(1),
        expired: false,
        zone: TimeZone::parse("Europe/Berlin").unwrap(),
        time: TimeOfDay::from_naive(NaiveTime::from_hms_opt(8, 30, 0).unwrap()),
        status: SubscriberStatus::Active,
        consecutive_misses: 0,
        link_generation: LinkGeneration::FIRST,
        track_row: Some((
            TrackRow {
                enabled: true,
                engine: engine::TrackState::new(track),
                next_due_at: Some(now + Duration::days(1)),
                repeat_variant: None,
                last_answer: None,
            },
            REVISION.to_owned(),
        )),
        answer: None,
        now,
    }
}

fn ask(delivery_id: i64, action: Action) -> Asked {
    Asked { delivery_id, action, link: Some(LinkGeneration::FIRST) }
}

#[test]
fn answers_to_two_nudges_of_one_track_both_steer_it_in_order() {
    let found = [nudge(1, 7, Track::FollowThrough), nudge(2, 7, Track::FollowThrough)];
    let plan = plan(&[ask(1, Action::Done), ask(2, Action::Done)], &found, scheduling());
    assert_eq!(plan.batch.answers.len(), 2);
    assert_eq!(plan.batch.tracks.len(), 1, "one write per track row");
    let write = &plan.batch.tracks[0];
    assert_eq!(write.row.engine.streak, 2);
    assert_eq!(write.revision, REVISION, "fenced on the version both were read at");
    assert!(plan.replies.iter().all(|r| r.as_ref().unwrap().recorded_now));
}

#[test]
fn the_same_nudge_twice_in_a_batch_is_recorded_once_and_the_second_caller_hears_the_first_answer() {
    let found = [nudge(1, 7, Track::CheckIn)];
    let plan = plan(&[ask(1, Action::Partly), ask(1, Action::Done)], &found, scheduling());
    assert_eq!(plan.batch.answers.len(), 1);
    let second = plan.replies[1].as_ref().unwrap();
    assert!(!second.recorded_now);
    assert_eq!(second.action, Action::Partly);
    assert_eq!(second.answered_at, None, "takes the batch's time");
}

#[test]
fn a_nudge_answered_before_the_batch_writes_nothing_and_reports_the_earlier_answer() {
    let mut answered = nudge(1, 7, Track::CheckIn);
    let at = answered.now - Duration::minutes(5);
    answered.answer = Some((Action::NotYet, at));
    let plan = plan(&[ask(1, Action::Done)], &[answered], scheduling());
    assert_eq!(plan.batch, AnswerBatch::default());
    let reply = plan.replies[0].as_ref().unwrap();
    assert_eq!((reply.action, reply.answered_at, reply.recorded_now), (Action::NotYet, Some(at), false));
}

#[test]
fn unknown_nudges_get_no_reply_and_write_nothing() {
    let plan = plan(&[ask(99, Action::Done)], &[], scheduling());
    assert_eq!(plan.replies[0].as_ref().err(), Some(&Refused::Gone));
    assert_eq!(plan.batch, AnswerBatch::default());
}

#[test]
fn an_answer_from_a_switched_off_link_is_refused_and_writes_nothing_while_a_current_one_in_the_batch_counts() {
    let mut signed_out = nudge(1, 7, Track::CheckIn);
    signed_out.link_generation = LinkGeneration::from_stored(2).unwrap();
    let mut current = ask(2, Action::Done);
    current.link = Some(LinkGeneration::from_stored(2).unwrap());
    let mut also_signed_out = nudge(2, 7, Track::Transparency);
    also_signed_out.link_generation = LinkGeneration::from_stored(2).unwrap();
    let plan = plan(&[ask(1, Action::Done), current], &[signed_out, also_signed_out], scheduling());
    assert_eq!(plan.replies[0].as_ref().err(), Some(&Refused::Revoked));
    assert!(plan.replies[1].as_ref().unwrap().recorded_now);
    assert_eq!(plan.batch.answers.iter().map(|a| a.delivery_id).collect::<Vec<_>>(), [2]);
    assert_eq!(plan.batch.tracks.len(), 1, "only the current link's track is steered");
}

#[test]
fn answers_from_inactive_subscribers_or_to_expired_nudges_are_recorded_without_steering() {
    let mut paused = nudge(1, 7, Track::CheckIn);
    paused.status = SubscriberStatus::Paused;
    let mut expired = nudge(2, 8, Track::CheckIn);
    expired.expired = true;
    let plan = plan(&[ask(1, Action::Done), ask(2, Action::Done)], &[paused, expired], scheduling());
    assert_eq!(plan.batch.answers.len(), 2);
    assert!(plan.batch.tracks.is_empty());
}

#[test]
fn misses_in_a_row_are_cleared_once_per_subscriber() {
    let mut first = nudge(1, 7, Track::CheckIn);
    first.consecutive_misses = 2;
    let mut second = nudge(2, 7, Track::Transparency);
    second.consecutive_misses = 2;
    let plan = plan(&[ask(1, Action::Done), ask(2, Action::Done)], &[first, second], scheduling());
    assert_eq!(plan.batch.clear_misses, [7]);
}

#[test]
fn pausing_a_track_turns_it_off_and_unschedules_it() {
    let found = [nudge(1, 7, Track::CheckIn)];
    let plan = plan(&[ask(1, Action::PauseTrack)], &found, scheduling());
    let row = &plan.batch.tracks[0].row;
    assert!(!row.enabled);
    assert_eq!(row.next_due_at, None);
    let reply = plan.replies[0].clone().unwrap();
    assert_eq!(next_due(&plan, &found, &reply), None);
}
