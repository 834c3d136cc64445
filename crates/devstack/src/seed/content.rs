//! The sample tickets' files: metadata, system information, an application log, screenshots.
//!
//! Everything is generated deterministically in code (no fixtures in the repository), so the
//! same seed gives the same plaintext every time. The data is invented: no real person, company
//! or machine. This module must never read the environment or the clock.

use std::io;

use serde_json::json;

use super::png;

/// One object to seed: its key and plaintext.
pub(crate) struct SampleObject {
    /// The object key.
    pub(crate) key: String,
    /// The plaintext (encrypted before upload).
    pub(crate) plaintext: Vec<u8>,
}

/// A ticket's description.
struct Ticket {
    id: u32,
    title: &'static str,
    customer: &'static str,
    contact: &'static str,
    opened_at: &'static str,
    priority: &'static str,
    status: &'static str,
    host: &'static str,
    notes: &'static [&'static str],
}

const TICKETS: [Ticket; 3] = [
    Ticket {
        id: 1001,
        title: "Invoice export crashes after the 4.2 update",
        customer: "Northwind Clinics (demo)",
        contact: "Dana Ruiz, IT lead",
        opened_at: "2026-03-14T09:12:33Z",
        priority: "high",
        status: "investigating",
        host: "NW-FRONTDESK-07",
        notes: &[
            "Customer reports the export dialog closes without an error when more than 500 invoices are selected.",
            "Reproduced on the customer's machine over remote session; see screenshot-3.png for the error dialog.",
            "app.log shows a PDF renderer out-of-memory at 09:41:12; the machine has 4 GiB of RAM.",
            "Workaround sent: export in batches of 200. Escalated to engineering (ENG-5521).",
        ],
    },
    Ticket {
        id: 1002,
        title: "Scanner not detected in the intake form",
        customer: "Northwind Clinics (demo)",
        contact: "Sam Patel, front desk",
        opened_at: "2026-03-15T14:03:10Z",
        priority: "normal",
        status: "waiting_on_customer",
        host: "NW-INTAKE-02",
        notes: &["Driver version 2.1 is installed; 2.4 is required. Asked the customer to update and retry."],
    },
    Ticket {
        id: 2001,
        title: "Password reset e-mails arrive late",
        customer: "Contoso Dental (demo)",
        contact: "Lee Morgan, practice manager",
        opened_at: "2026-03-16T08:45:00Z",
        priority: "low",
        status: "open",
        host: "CD-OFFICE-01",
        notes: &["Mail delivery delays of 10-15 minutes; their mail relay greylists our sender."],
    },
];

fn metadata(t: &Ticket, attachments: &[&str]) -> io::Result<Vec<u8>> {
    let value = json!({
        "id": t.id,
        "title": t.title,
        "customer": t.customer,
        "contact": t.contact,
        "opened_at": t.opened_at,
        "priority": t.priority,
        "status": t.status,
        "host": t.host,
        "product": { "name": "HelpDesk Desktop", "version": "4.2.1" },
        "technician_notes": t.notes,
        "attachments": attachments,
    });
    serde_json::to_vec_pretty(&value).map_err(io::Error::other)
}

fn system_info(t: &Ticket, ram_gib: u32) -> Vec<u8> {
    format!(
        "HelpDesk Desktop system report\n\
         ==============================\n\
         Collected:        {opened}\n\
         Host name:        {host}\n\
         OS:               Windows 11 Pro 23H2 (build 22631.3296), 64-bit\n\
         CPU:              Intel Core i5-8500T @ 2.10GHz (6 cores)\n\
         Memory:           {ram_gib} GiB ({free} GiB free at collection)\n\
         Disk C:           237 GiB NTFS, 41 GiB free\n\
         Display:          1920x1080 @ 100% scaling\n\
         Network:          Ethernet, 1 Gbit/s, DHCP 10.20.4.117/24, DNS 10.20.0.10\n\
         Proxy:            none\n\
         Time zone:        (UTC-05:00) Eastern Time (US & Canada)\n\
         App version:      4.2.1 (build 4210.77), channel stable\n\
         .NET runtime:     8.0.3\n\
         PDF renderer:     pdfkit-native 3.9.0\n\
         Printers:         HP LaserJet M404 (default), Microsoft Print to PDF\n\
         Scanners:         {scanner}\n\
         Antivirus:        Microsoft Defender, definitions 1.407.512.0\n\
         Last reboot:      2026-03-13 07:58\n",
        opened = t.opened_at,
        host = t.host,
        free = ram_gib / 4,
        scanner = if t.id == 1002 { "Fujitsu fi-7160 (driver 2.1.0)" } else { "none" },
    )
    .into_bytes()
}

/// A realistic application log: a normal morning, then the export that fails.
fn app_log(t: &Ticket, lines: u32) -> Vec<u8> {
    let mut out = String::new();
    let modules = ["ui.shell", "sync", "db.pool", "auth", "invoices", "print.queue"];
    let routine = [
        "heartbeat ok latency_ms=42",
        "sync completed changes=3 duration_ms=812",
        "connection returned to pool in_use=2 idle=6",
        "token refreshed expires_in=3600",
        "invoice list loaded count=517 duration_ms=1290",
        "print job queued job_id=88{n} pages=2",
    ];
    out.push_str(&format!("2026-03-14 08:02:11.204 INFO  app        HelpDesk Desktop 4.2.1 starting on {}\n", t.host));
    out.push_str("2026-03-14 08:02:11.977 INFO  db.pool    opened local cache db size_mb=184\n");
    out.push_str("2026-03-14 08:02:12.310 INFO  auth       signed in user=front.desk tenant=northwind-demo\n");
    for i in 0..lines {
        let (h, m, s) = (8 + i / 60 % 2, (i * 7 + 3) % 60, (i * 13 + 17) % 60);
        let idx = (i as usize * 5 + 1) % modules.len();
        let module = modules.get(idx).copied().unwrap_or("app");
        let message = routine.get(idx).copied().unwrap_or("ok").replace("{n}", &format!("{:02}", i % 100));
        let level = if i % 17 == 16 { "WARN " } else { "DEBUG" };
        out.push_str(&format!(
            "2026-03-14 {h:02}:{m:02}:{s:02}.{:03} {level} {module:<10} {message}\n",
            (i * 37) % 1000
        ));
    }
    if t.id != 1001 {
        out.push_str(
            "2026-03-14 09:12:40.118 WARN  devices    TWAIN source 'fi-7160' reports driver 2.1.0; 2.4.0 or later required\n\
             2026-03-14 09:12:40.119 INFO  devices    no usable scanner; intake form will offer file upload only\n",
        );
        return out.into_bytes();
    }
    out.push_str(
        "2026-03-14 09:41:08.551 INFO  invoices   export requested format=pdf selected=517\n\
         2026-03-14 09:41:10.002 WARN  invoices   export batch larger than recommended (500)\n\
         2026-03-14 09:41:12.733 ERROR invoices   export failed: renderer out of memory\n\
         \x20   at PdfKit.Native.Renderer.AllocPage(Int32 width, Int32 height)\n\
         \x20   at HelpDesk.Invoices.PdfExporter.RenderAll(IReadOnlyList`1 invoices)\n\
         \x20   at HelpDesk.Invoices.ExportController.Run(ExportRequest request)\n\
         2026-03-14 09:41:12.734 ERROR ui.shell   unhandled exception in export dialog; dialog closed\n\
         2026-03-14 09:41:15.120 INFO  app        crash report written to %LOCALAPPDATA%\\HelpDesk\\crash-20260314-094115.dmp\n",
    );
    out.into_bytes()
}

/// Every object the dev stack seeds: ticket 1001 in full, a smaller 1002 (both alice's), and
/// 2001 (bob's).
pub(crate) fn sample_objects() -> io::Result<Vec<SampleObject>> {
    let [t1001, t1002, t2001] = &TICKETS;
    let files_1001 =
        ["ticket.json", "system-info.txt", "screenshot-1.png", "screenshot-2.png", "screenshot-3.png", "app.log"];
    let mut objects = vec![
        object(t1001, "ticket.json", metadata(t1001, &files_1001)?),
        object(t1001, "system-info.txt", system_info(t1001, 4)),
        object(t1001, "app.log", app_log(t1001, 160)),
        object(t1002, "ticket.json", metadata(t1002, &["ticket.json", "system-info.txt", "app.log"])?),
        object(t1002, "system-info.txt", system_info(t1002, 8)),
        object(t1002, "app.log", app_log(t1002, 24)),
        object(t2001, "ticket.json", metadata(t2001, &["ticket.json", "screenshot-1.png"])?),
        object(t2001, "screenshot-1.png", png::screenshot(2)?),
    ];
    for n in 1..=3u8 {
        objects.push(object(t1001, &format!("screenshot-{n}.png"), png::screenshot(n)?));
    }
    Ok(objects)
}

fn object(t: &Ticket, name: &str, plaintext: Vec<u8>) -> SampleObject {
    SampleObject { key: format!("tickets/{}/{name}", t.id), plaintext }
}
