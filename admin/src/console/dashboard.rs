//! The dashboard: the last 24 hours' logins per hour by method (a stacked bar chart in inline
//! SVG), by level, failures by reason, recent sessions and the busiest e-services, each chart
//! with its figures as a table for screen readers and for copying.

use std::collections::BTreeMap;
use std::sync::Arc;

use poem::http::StatusCode;
use poem::web::Data;
use poem::{Request, Response, handler};

use super::Console;
use super::html::{Section, escape, table};
use super::texts::Texts;
use crate::model::{Count, StatisticsView};
use crate::roles::Permission;

#[handler]
pub(crate) async fn page(request: &Request, console: Data<&Arc<Console>>) -> Response {
    let signed = match console.signed_in(request).await {
        Ok(signed) => signed,
        Err(response) => return response,
    };
    if !signed.who.role.may(Permission::ReadAudit) {
        // Roles without the figures (client managers) start at the e-services.
        return super::redirect("/console/clients");
    }
    let t = signed.locale.texts();
    match console.desk.statistics(&signed.who).await {
        Ok(figures) => signed.page(
            StatusCode::OK,
            Section::Dashboard,
            t.dashboard,
            render(t, &figures),
        ),
        Err(failure) => signed.failure(Section::Dashboard, &failure),
    }
}

/// Adds counts by name.
fn totals<'a>(counts: impl Iterator<Item = &'a Count>) -> Vec<Count> {
    let mut sums: BTreeMap<&str, u64> = BTreeMap::new();
    for count in counts {
        *sums.entry(&count.name).or_default() += count.count;
    }
    let mut out: Vec<Count> = sums
        .into_iter()
        .map(|(name, count)| Count {
            name: name.to_owned(),
            count,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
    out
}

fn render(t: &Texts, figures: &StatisticsView) -> String {
    let by_method = totals(figures.hours.iter().flat_map(|h| &h.logins_by_method));
    let by_level = totals(figures.hours.iter().flat_map(|h| &h.logins_by_level));
    let failures = totals(figures.hours.iter().flat_map(|h| &h.failures_by_reason));
    let logins: u64 = by_method.iter().map(|c| c.count).sum();
    let mut html = format!(
        "<div class=\"figures\">\n<p class=\"figure\" id=\"logins-24h\">{}<b>{logins}</b></p>\n\
         <p class=\"figure\" id=\"recent-sessions\">{}<b>{}</b></p>\n</div>\n",
        escape(t.logins_24h),
        escape(t.sessions_recent),
        figures.recent_sessions,
    );
    html.push_str(&format!("<h2>{}</h2>\n", escape(t.logins_per_hour)));
    let methods: Vec<String> = by_method.iter().map(|c| c.name.clone()).collect();
    html.push_str(&hourly_chart(t, figures, &methods));
    for (caption, counts, id) in [
        (t.by_method, &by_method, "by-method"),
        (t.by_level, &by_level, "by-level"),
        (t.failures, &failures, "failures"),
        (t.top_clients, &figures.top_clients, "top-clients"),
    ] {
        html.push_str(&format!("<section id=\"{id}\">\n"));
        html.push_str(&counts_table(t, caption, counts));
        html.push_str("</section>\n");
    }
    html
}

fn counts_table(t: &Texts, caption: &str, counts: &[Count]) -> String {
    if counts.is_empty() {
        return format!(
            "<h2>{}</h2>\n<p>{}</p>\n",
            escape(caption),
            escape(t.no_data)
        );
    }
    let rows: Vec<Vec<String>> = counts
        .iter()
        .map(|c| vec![escape(&c.name), c.count.to_string()])
        .collect();
    table(caption, &[t.name, t.count], &rows)
}

/// Logins per hour, stacked by method, as inline SVG (presentation by class, so the strict
/// style policy holds), followed by the same figures as a table.
fn hourly_chart(t: &Texts, figures: &StatisticsView, methods: &[String]) -> String {
    if figures.hours.is_empty() || methods.is_empty() {
        return format!("<p>{}</p>\n", escape(t.no_data));
    }
    let (width, height, left, bottom) = (720.0_f64, 220.0_f64, 36.0_f64, 24.0_f64);
    let per_hour: Vec<Vec<u64>> = figures
        .hours
        .iter()
        .map(|hour| {
            methods
                .iter()
                .map(|m| {
                    hour.logins_by_method
                        .iter()
                        .filter(|c| &c.name == m)
                        .map(|c| c.count)
                        .sum()
                })
                .collect()
        })
        .collect();
    let peak = per_hour
        .iter()
        .map(|v| v.iter().sum::<u64>())
        .max()
        .unwrap_or(0)
        .max(1);
    let slots = figures.hours.len() as f64;
    let slot = (width - left) / slots;
    let scale = (height - bottom - 8.0) / peak as f64;
    let mut bars = String::new();
    for (i, (hour, counts)) in figures.hours.iter().zip(&per_hour).enumerate() {
        let x = left + slot * i as f64 + slot * 0.15;
        let mut y = height - bottom;
        for (m, count) in counts.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            let h = *count as f64 * scale;
            y -= h;
            bars.push_str(&format!(
                "<rect class=\"bar{}\" x=\"{x:.1}\" y=\"{y:.1}\" width=\"{:.1}\" height=\"{h:.1}\">\
                 <title>{} {}: {count}</title></rect>\n",
                m % 6,
                slot * 0.7,
                escape(&hour_label(&hour.hour)),
                escape(&methods[m]),
            ));
        }
        if i % 3 == 0 {
            bars.push_str(&format!(
                "<text x=\"{x:.1}\" y=\"{:.1}\">{}</text>\n",
                height - 6.0,
                escape(&hour_label(&hour.hour))
            ));
        }
    }
    let axis = format!(
        "<text x=\"2\" y=\"14\">{peak}</text>\n<text x=\"2\" y=\"{:.1}\">0</text>\n\
         <line x1=\"{left}\" y1=\"{base:.1}\" x2=\"{width}\" y2=\"{base:.1}\" stroke=\"#6b7280\"/>\n",
        height - bottom,
        base = height - bottom,
    );
    let legend = methods
        .iter()
        .enumerate()
        .map(|(m, name)| {
            format!(
                "<li><span class=\"swatch s{}\"></span>{}</li>",
                m % 6,
                escape(name)
            )
        })
        .collect::<String>();
    let mut headings = vec![t.hour];
    headings.extend(methods.iter().map(String::as_str));
    let rows: Vec<Vec<String>> = figures
        .hours
        .iter()
        .zip(&per_hour)
        .filter(|(_, counts)| counts.iter().any(|c| *c > 0))
        .map(|(hour, counts)| {
            let mut row = vec![escape(&hour_label(&hour.hour))];
            row.extend(counts.iter().map(u64::to_string));
            row
        })
        .collect();
    format!(
        "<svg class=\"chart\" viewBox=\"0 0 {width} {height}\" role=\"img\" \
         aria-labelledby=\"chart-title\" xmlns=\"http://www.w3.org/2000/svg\">\n\
         <title id=\"chart-title\">{title}</title>\n{axis}{bars}</svg>\n\
         <ul class=\"legend\">{legend}</ul>\n<details>\n<summary>{summary}</summary>\n{table}\
         </details>\n",
        title = escape(t.logins_per_hour),
        summary = escape(t.chart_summary),
        table = table(t.logins_per_hour, &headings, &rows),
    )
}

/// `2026-11-25T08:00:00Z` → `08:00`.
fn hour_label(hour: &str) -> String {
    hour.get(11..16).unwrap_or(hour).to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::console::texts::Locale;
    use crate::model::HourView;

    fn count(name: &str, count: u64) -> Count {
        Count {
            name: name.to_owned(),
            count,
        }
    }

    #[test]
    fn the_dashboard_adds_up_the_hours_and_draws_each_method() {
        let figures = StatisticsView {
            hours: vec![
                HourView {
                    hour: "2026-11-25T07:00:00Z".into(),
                    logins_by_method: vec![count("sms", 2)],
                    logins_by_level: vec![count("low", 2)],
                    failures_by_reason: vec![],
                },
                HourView {
                    hour: "2026-11-25T08:00:00Z".into(),
                    logins_by_method: vec![count("sms", 3), count("passkey", 1)],
                    logins_by_level: vec![count("low", 3), count("substantial", 1)],
                    failures_by_reason: vec![count("wrong_code", 4)],
                },
            ],
            recent_sessions: 5,
            top_clients: vec![count("tax<b>", 4)],
        };
        let html = render(Locale::En.texts(), &figures);
        assert!(html.contains("id=\"logins-24h\">Logins in the last 24 hours<b>6</b>"));
        assert!(html.contains("<b>5</b>"));
        assert_eq!(html.matches("<rect ").count(), 3);
        assert!(html.contains("<td>sms</td><td>5</td>"));
        assert!(html.contains("<td>wrong_code</td><td>4</td>"));
        assert!(html.contains("tax&lt;b&gt;"));
        assert!(!html.contains("style="));
        assert_eq!(hour_label("2026-11-25T08:00:00Z"), "08:00");
    }

    #[test]
    fn an_empty_day_says_so() {
        let figures = StatisticsView {
            hours: vec![],
            recent_sessions: 0,
            top_clients: vec![],
        };
        let html = render(Locale::Mn.texts(), &figures);
        assert!(html.contains("Одоогоор мэдээлэл алга."));
        assert!(!html.contains("<svg"));
    }
}
