package invite

import (
	"testing"
	"time"
)

func TestFormatRange(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	tests := []struct {
		zone, start, end, lang, want string
	}{
		{"Europe/Paris", "2026-03-03T13:00:00Z", "2026-03-03T13:30:00Z", "en", "Tuesday, March 3, 2026, 2:00 – 2:30 PM (Paris time)"},
		{"Europe/Paris", "2026-03-03T13:00:00Z", "2026-03-03T13:30:00Z", "fr", "mardi 3 mars 2026, 14:00 – 14:30 (heure de Paris)"},
		// Morning to afternoon: both halves of the day are named.
		{"Europe/Paris", "2026-03-03T10:30:00Z", "2026-03-03T11:30:00Z", "en", "Tuesday, March 3, 2026, 11:30 AM – 12:30 PM (Paris time)"},
		// Summer time, the first of the month.
		{"Europe/Paris", "2026-04-01T07:00:00Z", "2026-04-01T08:15:00Z", "fr", "mercredi 1er avril 2026, 09:00 – 10:15 (heure de Paris)"},
		{"America/New_York", "2026-03-10T13:00:00Z", "2026-03-10T14:15:00Z", "en", "Tuesday, March 10, 2026, 9:00 – 10:15 AM (New York time)"},
		{"America/New_York", "2026-03-10T13:00:00Z", "2026-03-10T14:15:00Z", "fr", "mardi 10 mars 2026, 09:00 – 10:15 (heure de New York)"},
		{"Asia/Kolkata", "2026-03-29T13:00:00Z", "2026-03-29T13:30:00Z", "en", "Sunday, March 29, 2026, 6:30 – 7:00 PM (Kolkata time)"},
		{"Australia/Lord_Howe", "2026-10-03T15:00:00Z", "2026-10-03T16:00:00Z", "en", "Sunday, October 4, 2026, 1:30 – 3:00 AM (Lord Howe time)"},
		// Over midnight: both dates.
		{"Europe/Paris", "2026-03-03T22:30:00Z", "2026-03-04T00:30:00Z", "en", "Tuesday, March 3, 2026, 11:30 PM – Wednesday, March 4, 2026, 1:30 AM (Paris time)"},
		{"Europe/Paris", "2026-03-03T22:30:00Z", "2026-03-04T00:30:00Z", "fr", "mardi 3 mars 2026, 23:30 – mercredi 4 mars 2026, 01:30 (heure de Paris)"},
		{"Europe/London", "2026-06-12T11:00:00Z", "2026-06-12T11:45:00Z", "fr", "vendredi 12 juin 2026, 12:00 – 12:45 (heure de Londres)"},
		{"Europe/Amsterdam", "2026-06-12T11:00:00Z", "2026-06-12T11:45:00Z", "fr", "vendredi 12 juin 2026, 13:00 – 13:45 (heure d'Amsterdam)"},
		{"UTC", "2026-06-12T00:00:00Z", "2026-06-12T00:30:00Z", "en", "Friday, June 12, 2026, 12:00 – 12:30 AM (UTC)"},
		{"Etc/GMT+5", "2026-06-12T17:00:00Z", "2026-06-12T17:30:00Z", "fr", "vendredi 12 juin 2026, 12:00 – 12:30 (UTC−05:00)"},
	}
	for _, tt := range tests {
		loc, err := loadZone(tt.zone)
		if err != nil {
			t.Fatal(err)
		}
		if got := formatRange(utc(tt.start), utc(tt.end), loc, tt.zone, tt.lang); got != tt.want {
			t.Errorf("%s %s %s:\n got %q\nwant %q", tt.zone, tt.start, tt.lang, got, tt.want)
		}
	}
}

func TestFormatDuration(t *testing.T) {
	tests := []struct {
		d      time.Duration
		en, fr string
	}{
		{time.Minute, "1 minute", "1 minute"},
		{30 * time.Minute, "30 minutes", "30 minutes"},
		{time.Hour, "1 hour", "1 heure"},
		{90 * time.Minute, "1 hour 30 minutes", "1 h 30"},
		{125 * time.Minute, "2 hours 5 minutes", "2 h 05"},
		{3 * time.Hour, "3 hours", "3 heures"},
	}
	for _, tt := range tests {
		if got := formatDuration(tt.d, "en"); got != tt.en {
			t.Errorf("%v en: %q", tt.d, got)
		}
		if got := formatDuration(tt.d, "fr"); got != tt.fr {
			t.Errorf("%v fr: %q", tt.d, got)
		}
	}
}

func TestDescribeRule(t *testing.T) {
	paris := mustZone(t, "Europe/Paris")
	start := time.Date(2026, 3, 3, 14, 0, 0, 0, paris) // a Tuesday
	tests := []struct {
		rule, en, fr string
	}{
		{"FREQ=DAILY", "Every day", "Tous les jours"},
		{"FREQ=DAILY;INTERVAL=3;COUNT=5", "Every 3 days, 5 times", "Tous les 3 jours, 5 fois"},
		{"FREQ=WEEKLY", "Every week on Tuesday", "Toutes les semaines le mardi"},
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,TH", "Every 2 weeks on Monday and Thursday", "Toutes les 2 semaines le lundi et le jeudi"},
		{"FREQ=WEEKLY;BYDAY=MO,WE,FR;UNTIL=20260630T215959Z", "Every week on Monday, Wednesday and Friday, until Tuesday, June 30, 2026",
			"Toutes les semaines le lundi, le mercredi et le vendredi, jusqu'au mardi 30 juin 2026"},
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "Every weekday (Monday to Friday)", "Du lundi au vendredi"},
		{"FREQ=MONTHLY", "Every month on day 3", "Tous les mois le 3"},
		{"FREQ=MONTHLY;BYMONTHDAY=1", "Every month on day 1", "Tous les mois le 1er"},
		{"FREQ=MONTHLY;BYMONTHDAY=-1", "Every month on the last day", "Tous les mois le dernier jour"},
		{"FREQ=MONTHLY;BYDAY=1TU", "Every month on the first Tuesday", "Tous les mois le premier mardi"},
		{"FREQ=MONTHLY;INTERVAL=3;BYDAY=-1FR", "Every 3 months on the last Friday", "Tous les 3 mois le dernier vendredi"},
		{"FREQ=YEARLY", "Every year on March 3", "Tous les ans le 3 mars"},
		{"FREQ=MONTHLY;BYDAY=TU;BYSETPOS=2", "Repeats on a custom schedule", "Récurrence personnalisée"},
		{"FREQ=HOURLY", "Repeats on a custom schedule", "Récurrence personnalisée"},
		{"not a rule", "Repeats on a custom schedule", "Récurrence personnalisée"},
	}
	for _, tt := range tests {
		if got := describeRule(tt.rule, start, paris, "en"); got != tt.en {
			t.Errorf("%s en: %q, want %q", tt.rule, got, tt.en)
		}
		if got := describeRule(tt.rule, start, paris, "fr"); got != tt.fr {
			t.Errorf("%s fr: %q, want %q", tt.rule, got, tt.fr)
		}
	}
}

func TestPickLang(t *testing.T) {
	tests := []struct {
		tags []string
		want string
	}{
		{[]string{"fr-CA"}, "fr"},
		{[]string{"", "FR"}, "fr"},
		{[]string{"de", "en_GB"}, "en"},
		{[]string{"de"}, "en"},
		{nil, "en"},
	}
	for _, tt := range tests {
		if got := pickLang(tt.tags...); got != tt.want {
			t.Errorf("%q: %s", tt.tags, got)
		}
	}
}
