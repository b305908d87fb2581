//! Notifications: messages to people through the channels each of them chose (e-mail,
//! Telegram, a signed webhook, the Bitrix24 app through [`crate::ports::Messenger`]), made from runtime templates an admin can edit, and sent by
//! the job queue so a channel that is down never holds up whoever sent the message.
//!
//! [`send`] renders the template in the person's language and, in one transaction, writes a
//! delivery row and queues a `notify.deliver` job per enabled channel. The job (registered by
//! [`jobs`]) sends it and records the outcome on the row; failures are retried with the
//! queue's backoff, and the row shows pending (with the last error), sent, failed or dead.

mod channels;
mod deliveries;
mod send;
mod templates;
mod transport;

pub use channels::{
    Channel, PersonChannel, RawChannel, add_channel_if_absent, channels_of, set_channels,
};
pub use deliveries::{
    Delivery, DeliveryFilter, DeliveryStatus, StatusCount, count_with_status, counts, get, list,
    retry,
};
pub use send::{BuiltinNotifier, Deliver, jobs, jobs_with_messenger, send};
pub use templates::{
    Template, TemplateDefault, check_template, defaults, get_template, list_templates, preview,
    render, save_template,
};
pub use transport::{channel_status, send_email, sign};
