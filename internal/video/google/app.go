package google

// ID is Google Workspace's app ID: stored with installs and meetings, and
// the name of its webhook route (/webhooks/google_meet).
const ID = "google_meet"
