//! One listener, three protocols: native gRPC (h2c), gRPC-web, `/api/` gateway,
//! plus test endpoints and static files.

use std::convert::Infallible;
use std::sync::Arc;

use axum::body::Body;
use axum::routing::get;
use axum::Router;
use http::{HeaderValue, Request, Response};
use hyper_util::rt::{TokioExecutor, TokioIo};
use tower::{Layer, ServiceExt};

use crate::pb::auth::auth_service_server::AuthServiceServer;
use crate::pb::cosi::resource::state_server::StateServer;
use crate::pb::management::management_service_server::ManagementServiceServer;
use crate::pb::omni::resources::resource_service_server::ResourceServiceServer;
use crate::{
    authsvc, cosi, demo, gateway, management, resources, simapi, Core, Options, SimHandle,
};

const MAX_MSG: usize = 32 * 1024 * 1024;

pub fn grpc_routes(core: &Arc<Core>) -> tonic::service::Routes {
    use tonic::codec::CompressionEncoding::Gzip;
    tonic::service::Routes::new(
        StateServer::new(cosi::StateSvc { core: core.clone() })
            .max_decoding_message_size(MAX_MSG)
            .accept_compressed(Gzip),
    )
    .add_service(
        ResourceServiceServer::new(resources::ResourceSvc { core: core.clone() })
            .max_decoding_message_size(MAX_MSG)
            .accept_compressed(Gzip),
    )
    .add_service(
        ManagementServiceServer::new(management::ManagementSvc { core: core.clone() })
            .max_decoding_message_size(MAX_MSG)
            .accept_compressed(Gzip),
    )
    .add_service(
        AuthServiceServer::new(authsvc::AuthSvc { core: core.clone() })
            .max_decoding_message_size(MAX_MSG)
            .accept_compressed(Gzip),
    )
    .add_service(
        crate::pb::oidc::oidc_service_server::OidcServiceServer::new(authsvc::OidcSvc {
            core: core.clone(),
        })
        .accept_compressed(Gzip),
    )
}

fn http_date(core: &Core) -> Option<HeaderValue> {
    HeaderValue::from_str(&core.now().format("%a, %d %b %Y %H:%M:%S GMT").to_string()).ok()
}

fn cors_layer() -> tower_http::cors::CorsLayer {
    use http::HeaderName;
    tower_http::cors::CorsLayer::new()
        .allow_origin(tower_http::cors::Any)
        .allow_headers(tower_http::cors::AllowHeaders::mirror_request())
        .allow_methods([http::Method::GET, http::Method::POST, http::Method::OPTIONS])
        .expose_headers([
            HeaderName::from_static("grpc-status"),
            HeaderName::from_static("grpc-message"),
            HeaderName::from_static("grpc-status-details-bin"),
            HeaderName::from_static("www-authenticate"),
        ])
}

fn app_router(core: Arc<Core>, routes: tonic::service::Routes) -> Router {
    let c = core.clone();
    let mut app = Router::new().route(
        "/api/{*rest}",
        axum::routing::any(move |req: Request<Body>| {
            let c = c.clone();
            let routes = routes.clone();
            async move { gateway::handle(c, routes, req).await }
        }),
    );
    app = app.route("/healthz", get(|| async { "ok" }));
    if core.opts.test_endpoints || core.opts.demo {
        // Test endpoints are mounted only on request; demo mode needs the key route.
    }
    if core.opts.test_endpoints {
        app = app.nest("/_sim", simapi::router(core.clone()));
    }
    if core.opts.demo {
        // Omni's login page stands behind a registered key's `loginUrl`: the person signs in
        // with the identity provider and confirms the key. The demo has no identity provider;
        // this page confirms the key for the e-mail it was registered with, on a click.
        let (c1, c2) = (core.clone(), core.clone());
        app = app.route(
            "/authenticate",
            get(move |q: axum::extract::Query<demo::LoginQuery>| {
                let c = c1.clone();
                async move { demo::login_page(&c, &q.0, false) }
            })
            .post(move |q: axum::extract::Query<demo::LoginQuery>| {
                let c = c2.clone();
                async move { demo::login_page(&c, &q.0, true) }
            }),
        );
        let c = core.clone();
        app = app.route(
            "/demo/service-account.key",
            get(move || {
                let c = c.clone();
                async move {
                    match c.demo_key.lock().ok().and_then(|k| k.clone()) {
                        Some(k) => Response::new(Body::from(k)),
                        None => {
                            let mut r = Response::new(Body::from("no demo key"));
                            *r.status_mut() = http::StatusCode::NOT_FOUND;
                            r
                        }
                    }
                }
            }),
        );
    }
    let mut root_dir = None;
    for (prefix, dir) in &core.opts.serve {
        if prefix == "/" || prefix.is_empty() {
            root_dir = Some(dir.clone());
        } else {
            app = app.nest_service(prefix, tower_http::services::ServeDir::new(dir));
        }
    }
    if let Some(d) = root_dir {
        app = app.fallback_service(tower_http::services::ServeDir::new(d));
    }
    app
}

pub async fn start(opts: Options) -> Result<SimHandle, String> {
    let bind = opts.bind.unwrap_or_else(|| ([127, 0, 0, 1], 8099).into());
    let listener = tokio::net::TcpListener::bind(bind)
        .await
        .map_err(|e| format!("bind {bind}: {e}"))?;
    let addr = listener.local_addr().map_err(|e| e.to_string())?;
    let core = Core::new(opts)?;
    if let Ok(mut u) = core.url.lock() {
        *u = format!("http://{addr}");
    }
    simapi::bootstrap(&core)?;
    if core.opts.demo {
        demo::seed(&core)?;
    }
    if let Some(p) = core.opts.seed.clone() {
        simapi::load_seed(&core, &p)?;
    }
    let routes = grpc_routes(&core);
    let grpc = tonic_web::GrpcWebLayer::new().layer(routes.clone());
    let app = app_router(core.clone(), routes);
    let cors = core.opts.cors;
    let (stop_tx, mut stop_rx) = tokio::sync::oneshot::channel::<()>();
    let c2 = core.clone();
    let task = tokio::spawn(async move {
        let mut conns = tokio::task::JoinSet::new();
        if c2.opts.demo {
            let c3 = c2.clone();
            conns.spawn(async move { demo::animate(c3).await });
        }
        loop {
            let accepted = tokio::select! {
                _ = &mut stop_rx => break,
                a = listener.accept() => a,
            };
            let Ok((stream, _)) = accepted else { continue };
            let grpc = grpc.clone();
            let app = app.clone();
            let core = c2.clone();
            let svc = hyper::service::service_fn(move |req: Request<hyper::body::Incoming>| {
                let grpc = grpc.clone();
                let app = app.clone();
                let core = core.clone();
                async move {
                    let is_grpc = req
                        .headers()
                        .get(http::header::CONTENT_TYPE)
                        .and_then(|v| v.to_str().ok())
                        .is_some_and(|v| v.starts_with("application/grpc"))
                        && !req.uri().path().starts_with("/api/");
                    let req = req.map(Body::new);
                    let mut resp: Response<Body> = if is_grpc {
                        let r = if cors {
                            cors_layer().layer(grpc).oneshot(req).await
                        } else {
                            grpc.oneshot(req).await
                        };
                        match r {
                            Ok(r) => r.map(Body::new),
                            Err(_) => Response::new(Body::empty()),
                        }
                    } else {
                        let r = if cors {
                            cors_layer().layer(app).oneshot(req).await
                        } else {
                            app.oneshot(req).await
                        };
                        match r {
                            Ok(r) => r.map(Body::new),
                            Err(e) => match e {},
                        }
                    };
                    if let Some(d) = http_date(&core) {
                        resp.headers_mut().insert(http::header::DATE, d);
                    }
                    Ok::<_, Infallible>(resp)
                }
            });
            conns.spawn(async move {
                let _ = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new())
                    .serve_connection_with_upgrades(TokioIo::new(stream), svc)
                    .await;
            });
        }
        conns.abort_all();
    });
    Ok(SimHandle {
        addr,
        core,
        stop: Some(stop_tx),
        task: Some(task),
    })
}
