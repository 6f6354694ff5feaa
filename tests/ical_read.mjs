// Reads calendar files with ical.js (Mozilla's parser, the one of Thunderbird's calendar) and prints
// what it understood as JSON: one object per file, with the UTC instants it computes from the files'
// own VTIMEZONE (nothing is registered but what the file carries).
// Usage: node tests/ical_read.mjs file.ics [...]
import { readFileSync } from "node:fs";
import ICAL from "ical.js";

const results = [];
for (const path of process.argv.slice(2)) {
  const calendar = new ICAL.Component(ICAL.parse(readFileSync(path, "utf8")));
  ICAL.TimezoneService.reset(); // only UTC: each file's zones come from the file itself
  for (const vtimezone of calendar.getAllSubcomponents("vtimezone")) {
    ICAL.TimezoneService.register(vtimezone);
  }
  const events = calendar.getAllSubcomponents("vevent").map((vevent) => {
    const event = new ICAL.Event(vevent);
    return {
      uid: event.uid,
      sequence: event.sequence,
      status: vevent.getFirstPropertyValue("status"),
      summary: event.summary,
      stamp_utc: vevent.getFirstPropertyValue("dtstamp").toJSDate().toISOString(),
      start_zone: event.startDate.zone.tzid,
      start_utc: event.startDate.toJSDate().toISOString(),
      end_utc: event.endDate.toJSDate().toISOString(),
      organizer: vevent.getFirstPropertyValue("organizer"),
      attendees: event.attendees.map((attendee) => attendee.getFirstValue()),
    };
  });
  results.push({ path, method: calendar.getFirstPropertyValue("method"), events });
}
process.stdout.write(JSON.stringify(results));
