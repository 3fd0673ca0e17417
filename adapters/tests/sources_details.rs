//! What each board states beyond the basic fields (issue 16): the description as plain text that
//! keeps its lines, whether it is only a snippet, the employment and workplace type, every place,
//! visa sponsorship and company details — and nothing it does not state. Each rule runs on our own
//! fixtures (in each board's shape) and, where present, on the real captures in
//! `../shared/payloads/boards/`.

#![allow(clippy::unwrap_used, clippy::expect_used)] // spec helpers: a failed step should panic

use jobin_adapters::sources::{adzuna, arbeitnow, findwork, reed, remotive, themuse};
use jobin_core::domain::{Country, EmploymentType, Job, WorkplaceType};
use serde_json::json;

fn bytes(v: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec(&v).unwrap()
}

fn capture(rel: &str) -> Option<Vec<u8>> {
    let path = jobin_adapters::testing::shared_file(&format!("payloads/boards/{rel}"))?;
    Some(std::fs::read(&path).unwrap())
}

/// What holds for every job of every board: plain text without markup or tracking images.
fn assert_plain_descriptions(jobs: &[Job]) {
    for j in jobs {
        let d = &j.description;
        for markup in ["<p", "<br", "<li", "<img", "&lt;", "&amp;", "&nbsp;", "blank.gif"] {
            assert!(!d.contains(markup), "{}: {markup:?} left in {d:?}", j.id);
        }
        assert!(!d.contains("\n\n\n") && d.trim() == d, "{}: untidy lines in {d:?}", j.id);
    }
}

#[test]
fn adzuna_snippets_are_marked_and_contract_and_hours_are_read() {
    let page = json!({"count": 3, "results": [
        {"id": "1", "title": "Data Engineer (Hybrid)", "description": "Build pipelines &amp; models…",
         "redirect_url": "https://www.adzuna.co.uk/jobs/land/ad/1", "created": "2025-06-19T16:06:00Z",
         "location": {"display_name": "London", "area": ["UK", "London"]},
         "contract_type": "contract", "contract_time": "full_time",
         "category": {"tag": "it-jobs", "label": "IT Jobs"}},
        {"id": "2", "title": "Teacher", "description": "Teach maths.", "created": "2025-06-19T16:06:00Z",
         "redirect_url": "https://www.adzuna.co.uk/jobs/land/ad/2",
         "contract_type": "permanent", "contract_time": "part_time", "category": {"tag": "unknown", "label": "Unknown"}},
        {"id": "3", "title": "Nurse", "description": "Care.", "created": "2025-06-19T16:06:00Z",
         "redirect_url": "https://www.adzuna.co.uk/jobs/land/ad/3", "contract_type": "permanent"}
    ]});
    let (jobs, _) = adzuna::parse_page(&bytes(page), Country::Gb).unwrap();
    assert_plain_descriptions(&jobs);
    assert!(jobs.iter().all(|j| j.details.description_truncated));
    assert_eq!(jobs[0].description, "Build pipelines & models…");
    assert_eq!(jobs[0].details.employment_type, Some(EmploymentType::Contract), "a contract whatever its hours");
    assert_eq!(jobs[0].details.workplace_type, Some(WorkplaceType::Hybrid));
    assert_eq!(jobs[0].details.categories, ["IT Jobs"]);
    assert_eq!(jobs[0].details.locations.len(), 1);
    assert_eq!(jobs[1].details.employment_type, Some(EmploymentType::PartTime));
    assert!(jobs[1].details.categories.is_empty(), "Adzuna's `unknown` category is no category");
    assert_eq!(jobs[2].details.employment_type, None, "permanent says nothing of hours");
    assert_eq!(jobs[2].details.workplace_type, None, "nothing stated, nothing guessed");

    if let Some(body) = capture("adzuna/gb_search_page1_2025-07.json") {
        let (jobs, _) = adzuna::parse_page(&body, Country::Gb).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().all(|j| j.details.description_truncated));
        assert!(jobs.iter().any(|j| j.details.employment_type == Some(EmploymentType::FullTime)));
    }
}

#[test]
fn reed_snippets_are_marked_and_detail_fields_are_read_when_present() {
    let page = json!({"totalResults": 2, "results": [
        {"jobId": 1, "jobTitle": "Accountant", "employerName": "Acme ", "locationName": "Leeds",
         "date": "01/07/2025", "jobDescription": "Join Smith &amp; Co as an accountant...  ",
         "jobUrl": "https://www.reed.co.uk/jobs/accountant/1"},
        {"jobId": 2, "jobTitle": "Driver", "employerName": "Acme", "locationName": "CH11DA",
         "date": "01/07/2025", "jobDescription": "<p>Drive.</p><p>Deliver.</p>",
         "jobUrl": "https://www.reed.co.uk/jobs/driver/2", "partTime": true, "fullTime": false,
         "contractType": "Temporary", "externalUrl": "https://careers.acme.example/apply/2"}
    ]});
    let (jobs, _) = reed::parse_page(&bytes(page)).unwrap();
    assert_plain_descriptions(&jobs);
    assert!(jobs.iter().all(|j| j.details.description_truncated));
    assert_eq!(jobs[0].description, "Join Smith & Co as an accountant...");
    assert_eq!((jobs[0].details.employment_type, jobs[0].details.apply_url.as_deref()), (None, None));
    assert_eq!(jobs[1].description, "Drive.\n\nDeliver.");
    assert_eq!(jobs[1].details.employment_type, Some(EmploymentType::Temporary), "the contract type comes first");
    assert_eq!(jobs[1].details.apply_url.as_deref(), Some("https://careers.acme.example/apply/2"));

    if let Some(body) = capture("reed/search_100results_2025-07.json") {
        let (jobs, _) = reed::parse_page(&body).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().all(|j| j.details.description_truncated && j.details.employment_type.is_none()));
    }
}

#[test]
fn remotive_is_remote_with_its_job_type_logo_and_category_and_no_tracking_pixel() {
    let listing = json!({"jobs": [
        {"id": 7, "url": "https://remotive.com/remote-jobs/software-dev/rust-7", "title": "Rust Engineer",
         "company_name": "Ferris ", "company_logo": "https://remotive.com/job/7/logo", "category": "Software Development",
         "tags": ["rust", "Visa sponsorship"], "job_type": "freelance", "publication_date": "2026-07-01T10:00:00",
         "candidate_required_location": "Europe", "salary": "",
         "description": "<p>Write <strong>Rust</strong>.</p><ul><li>Async</li><li>Tokio</li></ul>\
                         <img src=\"https://remotive.com/job/track/7/blank.gif?source=public_api\" alt=\"\"/>"},
        {"id": 8, "url": "https://remotive.com/remote-jobs/sales/s-8", "title": "Sales", "company_name": "X",
         "tags": [], "job_type": "", "publication_date": "2026-07-01T10:00:00", "candidate_required_location": "USA",
         "description": "<p>Sell.</p>"}
    ]});
    let jobs = remotive::parse_listing(&bytes(listing)).unwrap();
    assert_plain_descriptions(&jobs);
    let rust = &jobs[0];
    assert_eq!(rust.description, "Write Rust.\n\n- Async\n- Tokio");
    assert!(!rust.details.description_truncated);
    assert_eq!(rust.details.employment_type, Some(EmploymentType::Contract));
    assert_eq!(rust.details.workplace_type, Some(WorkplaceType::Remote));
    assert_eq!(rust.details.visa_sponsorship, Some(true));
    assert_eq!(rust.details.company.logo_url.as_deref(), Some("https://remotive.com/job/7/logo"));
    assert_eq!(rust.details.categories, ["Software Development"]);
    assert_eq!((jobs[1].details.employment_type, jobs[1].details.visa_sponsorship), (None, None));

    if let Some(body) = capture("remotive/remote-jobs_35jobs_2026-07.json") {
        let jobs = remotive::parse_listing(&body).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().all(|j| j.details.workplace_type == Some(WorkplaceType::Remote)));
        assert!(jobs.iter().filter(|j| j.details.employment_type.is_some()).count() >= jobs.len() - 2);
        assert!(jobs.iter().filter(|j| j.description.contains('\n')).count() >= jobs.len() / 2, "lines are kept");
    }
}

#[test]
fn findwork_gives_employment_type_logo_and_company_size() {
    let page = json!({"count": 2, "next": null, "results": [
        {"id": "Ab12Cd3", "role": "Backend Engineer", "company_name": "Acme", "company_num_employees": "11-50",
         "employment_type": "full time", "location": "London", "remote": false,
         "logo": "https://findwork-dev-images.s3.amazonaws.com/acme.png", "url": "https://findwork.dev/Ab12Cd3/backend",
         "text": "<p>We&#x27;re hiring.</p>", "date_posted": "2025-07-01T00:00:00Z", "keywords": ["go"]},
        {"id": "Zz99", "role": "Designer", "company_name": "B", "company_num_employees": null,
         "employment_type": null, "location": null, "remote": true, "logo": null,
         "url": "https://findwork.dev/Zz99/designer", "text": "Design.", "date_posted": "2025-07-01T00:00:00Z"}
    ]});
    let (jobs, _) = findwork::parse_page(&bytes(page)).unwrap();
    assert_plain_descriptions(&jobs);
    assert_eq!(jobs[0].description, "We're hiring.");
    assert_eq!(jobs[0].details.employment_type, Some(EmploymentType::FullTime));
    assert_eq!(jobs[0].details.workplace_type, None, "remote: false is not on-site");
    assert_eq!(jobs[0].details.company.size.as_deref(), Some("11-50"));
    assert!(jobs[0].details.company.logo_url.as_deref().unwrap().ends_with("acme.png"));
    assert_eq!(jobs[1].details.workplace_type, Some(WorkplaceType::Remote));
    assert_eq!(jobs[1].details.company, Default::default());

    if let Some(body) = capture("findwork/jobs_page1_2025-07.json") {
        let (jobs, _) = findwork::parse_page(&body).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().any(|j| j.details.employment_type == Some(EmploymentType::Contract)));
        assert!(jobs.iter().any(|j| j.details.company.logo_url.is_some()));
    }
}

#[test]
fn arbeitnow_lists_every_city_reads_job_types_and_unescapes_descriptions() {
    let page = json!({"data": [
        {"slug": "pm-berlin-1", "company_name": "Acme", "title": "Projektmanager (m/w/d)", "remote": false,
         "url": "https://www.arbeitnow.com/jobs/companies/acme/pm-berlin-1", "tags": ["Visa Sponsorship"],
         "job_types": ["professional / experienced", "Full-time"], "location": "Hamburg, Berlin", "created_at": 1_754_000_000,
         "description": "&lt;p&gt;Wir suchen &amp;amp; bieten&lt;/p&gt;&lt;ul&gt;&lt;li&gt;Homeoffice&lt;/li&gt;&lt;/ul&gt;"},
        {"slug": "dev-2", "company_name": "B", "title": "Developer", "remote": true, "url": "https://www.arbeitnow.com/jobs/companies/b/dev-2",
         "tags": [], "job_types": ["berufseinstieg"], "location": "Remote job", "created_at": 1_754_000_000,
         "description": "<p>Code.</p>"}
    ], "links": {"next": null}});
    let (jobs, _) = arbeitnow::parse_page(&bytes(page)).unwrap();
    assert_plain_descriptions(&jobs);
    let pm = &jobs[0];
    assert_eq!(pm.description, "Wir suchen & bieten\n\n- Homeoffice");
    let cities: Vec<&str> = pm.details.locations.iter().map(|l| l.city.as_str()).collect();
    assert_eq!(cities, ["Hamburg", "Berlin"]);
    assert_eq!(pm.details.employment_type, Some(EmploymentType::FullTime));
    assert_eq!(pm.details.visa_sponsorship, Some(true));
    let dev = &jobs[1];
    assert!(dev.details.locations.is_empty(), "a remote job names no place");
    assert_eq!((dev.details.employment_type, dev.details.visa_sponsorship), (None, None));
    assert_eq!(dev.details.workplace_type, Some(WorkplaceType::Remote));

    if let Some(body) = capture("arbeitnow/job-board-api_5jobs_2026-08_data-only.json") {
        let (jobs, _) = arbeitnow::parse_page(&body).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().any(|j| j.details.locations.len() == 2), "`Hamburg, Berlin` names two cities");
    }
}

#[test]
fn the_muse_lists_every_location_and_keeps_categories_out_of_the_description() {
    let page = json!({"page": 0, "page_count": 1, "results": [
        {"id": 11, "name": "Data Analyst", "contents": "<p>Analyse.</p>", "publication_date": "2025-07-01T00:00:00Z",
         "locations": [{"name": "New York, NY"}, {"name": "Seattle, WA"}, {"name": "Flexible / Remote"}],
         "categories": [{"name": "Data and Analytics"}], "levels": [{"name": "Internship", "short_name": "internship"}],
         "refs": {"landing_page": "https://www.themuse.com/jobs/acme/data-analyst"}, "company": {"name": "Acme"}}
    ]});
    let (jobs, _) = themuse::parse_page(&bytes(page)).unwrap();
    let j = &jobs[0];
    assert_eq!(j.description, "Analyse.");
    assert_eq!(j.details.categories, ["Data and Analytics"]);
    let places: Vec<(&str, &str)> = j.details.locations.iter().map(|l| (l.city.as_str(), l.region.as_str())).collect();
    assert_eq!(places, [("New York", "NY"), ("Seattle", "WA")]);
    assert_eq!(j.location.city, "New York");
    assert_eq!(j.details.employment_type, Some(EmploymentType::Internship));
    assert_eq!(j.details.workplace_type, Some(WorkplaceType::Remote));

    if let Some(body) = capture("themuse/public_jobs_page1_2025-07.json") {
        let (jobs, _) = themuse::parse_page(&body).unwrap();
        assert_plain_descriptions(&jobs);
        assert!(jobs.iter().any(|j| j.details.locations.len() >= 4), "a posting with four places keeps them all");
        assert!(jobs.iter().all(|j| !j.description.starts_with("Software Engineering")));
    }
}
