"""The OpenAPI 3.1 description of /api/v1, made from the release the API answers from: the
data types, metrics, dimensions, VO groups and job types it lists are the release's own
(explore/queries.json), so the description cannot offer a choice the API refuses."""

from __future__ import annotations

from accounting.api import views

ERROR = {"type": "object", "required": ["error", "status"],
         "properties": {"error": {"type": "string", "description": "What was not understood, in one line."},
                        "status": {"type": "integer"}}}


def _param(name: str, description: str, schema: dict, explode: bool = False) -> dict:
    p = {"name": name, "in": "query", "required": False, "description": description, "schema": schema}
    if explode:
        p.update(style="form", explode=True)
    return p


def _operation(q: dict, data: str) -> dict:
    fam, d = q["families"][data], q["defaults"]
    axes = [*fam["dimensions"], *q["periods"]]
    metrics = [m["id"] for m in fam["metrics"]]
    params = [
        _param("metric", "One metric, or several separated by commas (then cols=metric: rows × metrics). "
               + "; ".join(f"{m['id']}: {m['name']} ({m['unit']})" for m in fam["metrics"]),
               {"type": "string", "default": fam["default"], "examples": [fam["default"], ",".join(metrics[:3])]}),
        _param("rows", "What the rows are: a dimension or a period.", {"enum": axes, "default": d["rows"]}),
        _param("cols", "What the columns are; `metric` for several metrics.",
               {"enum": [*axes, "metric"], "default": d["cols"]}),
        _param("from", "First month (YYYY-MM); default the first of the last 12.",
               {"type": "string", "pattern": r"^\d{4}-\d{2}$", "default": d["from"]}),
        _param("to", "Last month (YYYY-MM); default the last month of the data.",
               {"type": "string", "pattern": r"^\d{4}-\d{2}$", "default": d["to"]}),
        _param("vos", "VO selection: a VO group, the top N VOs of the period by raw CPU time, or a custom list.",
               {"enum": [*q["vo_groups"], "top", "custom"], "default": d["vos"]}),
        _param("top", "N of vos=top.", {"type": "integer", "minimum": 1, "maximum": views.MAX_TOP,
                                        "default": d["top"]}),
        _param("vo", f"The VOs of vos=custom (repeated or comma-separated, at most {views.MAX_LIST}).",
               {"type": "array", "items": {"type": "string"}}, explode=True),
        _param("jobs", "; ".join(f"{k}: {v['label']}" for k, v in q["jobs"].items()),
               {"enum": list(q["jobs"]), "default": d["jobs"]}),
        _param("format", "The answer's format.", {"enum": ["json", "csv", "parquet"], "default": "json"}),
        *(_param(dim, f"Only these values of {q['dimensions'][dim]['label']} (repeated).",
                 {"type": "array", "items": {"type": "string"}}, explode=True) for dim in fam["dimensions"]),
    ]
    errors = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {"get": {
        "summary": f"A view of the {data} accounting: a metric by rows and columns over a period",
        "operationId": f"view_{data}",
        "parameters": params,
        "responses": {
            "200": {"description": "The table: data rows, then Total (and Percent for additive metrics).",
                    "headers": {"ETag": {"schema": {"type": "string"}}, "X-Build-Id": {"schema": {"type": "string"}}},
                    "content": {"application/json": {"schema": {"$ref": "#/components/schemas/View"}},
                                "text/csv": {"schema": {"type": "string"}},
                                "application/vnd.apache.parquet": {"schema": {"type": "string",
                                                                              "format": "binary"}}}},
            "304": {"description": "Not modified (If-None-Match)."},
            "400": {"description": "A parameter was not understood.", "content": errors},
            "404": {"description": "An unknown data type or entity.", "content": errors},
            "503": {"description": "The view could not be computed in time or memory.", "content": errors},
        }}}


def describe(release) -> dict:
    q = release.queries
    return {
        "openapi": "3.1.0",
        "info": {"title": "EGI accounting portal API", "version": "1",
                 "description": "Read-only views of the published accounting cubes (release "
                                f"{release.build_id}, data to {release.data_as_of}). Same views as /explore/."},
        "paths": {f"/api/v1/{data}": _operation(q, data) for data in q["families"]},
        "components": {"schemas": {
            "Error": ERROR,
            "View": {"type": "object", "required": ["build_id", "data_as_of", "view", "header", "rows"],
                     "properties": {
                         "build_id": {"type": "string", "description": "The release answered from."},
                         "data_as_of": {"type": "string", "description": "Its last month (YYYY-MM)."},
                         "built_at": {"type": "string"},
                         "view": {"type": "object", "description": "The canonical view answered."},
                         "header": {"type": "array", "items": {"type": "string"}},
                         "rows": {"type": "array", "items": {"type": "object", "description":
                                  "One row: the header's names, then row_kind (entity, absent, total, percent)."}},
                     }},
        }},
    }
