//! What the client reports: requests per method and outcome, and time waiting for the bucket.

use std::sync::{Arc, Mutex};

use metrics::{
    Counter, CounterFn, Gauge, Histogram, HistogramFn, Key, KeyName, Metadata, Recorder,
    SharedString, Unit,
};
use shtab_bitrix24::fake::Fault;

use super::portal;

type Sink = Arc<Mutex<Vec<String>>>;

/// Records "name{label=value,…}" once per increment or observation.
struct Capture(Sink);

struct Entry {
    name: String,
    sink: Sink,
}

impl CounterFn for Entry {
    fn increment(&self, value: u64) {
        for _ in 0..value {
            self.sink.lock().unwrap().push(self.name.clone());
        }
    }
    fn absolute(&self, _: u64) {}
}

impl HistogramFn for Entry {
    fn record(&self, _: f64) {
        self.sink.lock().unwrap().push(self.name.clone());
    }
}

impl Capture {
    fn entry(&self, key: &Key) -> Arc<Entry> {
        let mut labels: Vec<String> = key
            .labels()
            .map(|l| format!("{}={}", l.key(), l.value()))
            .collect();
        labels.sort();
        Arc::new(Entry {
            name: format!("{}{{{}}}", key.name(), labels.join(",")),
            sink: self.0.clone(),
        })
    }
}

impl Recorder for Capture {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        Counter::from_arc(self.entry(key))
    }
    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        Gauge::noop()
    }
    fn register_histogram(&self, key: &Key, _: &Metadata<'_>) -> Histogram {
        Histogram::from_arc(self.entry(key))
    }
}

#[tokio::test]
async fn requests_are_counted_per_method_and_outcome_with_the_time_spent_waiting() {
    let sink: Sink = Arc::default();
    let recorder = Capture(sink.clone());
    // The test runs on one thread, the client's futures included.
    let _guard = metrics::set_default_local_recorder(&recorder);
    let (fake, client) = portal().await;
    fake.fail_next(None, Fault::QueryLimit);
    client.call("profile", &()).await.unwrap();
    let seen = sink.lock().unwrap().clone();
    let count = |name: &str| seen.iter().filter(|s| *s == name).count();
    assert_eq!(
        count("bitrix24_requests_total{method=profile,outcome=query_limit}"),
        1,
        "{seen:?}"
    );
    assert_eq!(
        count("bitrix24_requests_total{method=profile,outcome=ok}"),
        1,
        "{seen:?}"
    );
    assert_eq!(
        count("bitrix24_request_duration_seconds{method=profile}"),
        2,
        "{seen:?}"
    );
    assert_eq!(
        count("bitrix24_bucket_wait_seconds{method=profile,reason=bucket}"),
        2,
        "{seen:?}"
    );
    assert_eq!(
        count("bitrix24_bucket_wait_seconds{method=profile,reason=query_limit}"),
        1,
        "{seen:?}"
    );
}
