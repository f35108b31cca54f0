//! The crate's error type: every failure carries the Elasticsearch exception type and HTTP status
//! it becomes in the API layer.

/// Errors of the log store, each naming the Elasticsearch exception it stands for.
#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum Error {
    /// `index_not_found_exception` (404).
    #[error("no such index [{0}]")]
    IndexNotFound(String),
    /// `resource_not_found_exception` (404), e.g. a missing index template.
    #[error("{0}")]
    ResourceNotFound(String),
    /// `action_request_validation_exception` (400): a request missing a required part.
    #[error("{0}")]
    ActionRequestValidation(String),
    /// `invalid_index_template_exception` (400).
    #[error("{0}")]
    InvalidIndexTemplate(String),
    /// `invalid_alias_name_exception` (400).
    #[error("{0}")]
    InvalidAliasName(String),
    /// `aliases_not_found_exception` (404): no alias of that name.
    #[error("aliases [{0}] missing")]
    AliasesNotFound(String),
    /// `resource_already_exists_exception` (400) for a data stream.
    #[error("data_stream [{0}] already exists")]
    DataStreamExists(String),
    /// `parse_exception` (400), e.g. an unknown key of a create-index body.
    #[error("{0}")]
    Parse(String),
    /// `invalid_index_name_exception` (400).
    #[error("invalid index name [{name}], {why}")]
    InvalidIndexName {
        /// The refused name.
        name: String,
        /// Why it was refused.
        why: String,
    },
    /// `mapper_parsing_exception` (400): a value does not fit its field's mapping.
    #[error("{0}")]
    MapperParsing(String),
    /// `version_conflict_engine_exception` (409).
    #[error("[{0}]: version conflict, document already exists (current version [{1}])")]
    VersionConflict(String, u64),
    /// `illegal_argument_exception` (400).
    #[error("{0}")]
    IllegalArgument(String),
    /// `parsing_exception` (400): a malformed or unknown query.
    #[error("{0}")]
    Parsing(String),
    /// `x_content_parse_exception` (400): malformed JSON.
    #[error("{0}")]
    XContentParse(String),
    /// `resource_already_exists_exception` (400).
    #[error("index [{0}] already exists")]
    AlreadyExists(String),
    /// `too_many_buckets_exception` (400): a response would hold more than `search.max_buckets`.
    #[error(
        "Trying to create too many buckets. Must be less than or equal to: [65536] but was [{0}]. This limit can be set by changing the [search.max_buckets] cluster level setting."
    )]
    TooManyBuckets(usize),
    /// `aggregation_execution_exception` (400): an aggregation request that cannot run.
    #[error("{0}")]
    Aggregation(String),
    /// An internal failure of the index engine (500).
    #[error("index engine: {0}")]
    Engine(String),
}

impl Error {
    /// The Elasticsearch exception type (`error.type`).
    pub fn es_type(&self) -> &'static str {
        match self {
            Error::IndexNotFound(_) => "index_not_found_exception",
            Error::ResourceNotFound(_) => "resource_not_found_exception",
            Error::ActionRequestValidation(_) => "action_request_validation_exception",
            Error::InvalidIndexTemplate(_) => "invalid_index_template_exception",
            Error::InvalidAliasName(_) => "invalid_alias_name_exception",
            Error::AliasesNotFound(_) => "aliases_not_found_exception",
            Error::DataStreamExists(_) => "resource_already_exists_exception",
            Error::Parse(_) => "parse_exception",
            Error::InvalidIndexName { .. } => "invalid_index_name_exception",
            Error::MapperParsing(_) => "mapper_parsing_exception",
            Error::VersionConflict(..) => "version_conflict_engine_exception",
            Error::IllegalArgument(_) => "illegal_argument_exception",
            Error::Parsing(_) => "parsing_exception",
            Error::XContentParse(_) => "x_content_parse_exception",
            Error::AlreadyExists(_) => "resource_already_exists_exception",
            Error::TooManyBuckets(_) => "too_many_buckets_exception",
            Error::Aggregation(_) => "aggregation_execution_exception",
            Error::Engine(_) => "exception",
        }
    }

    /// The HTTP status Elasticsearch answers with.
    pub fn status(&self) -> u16 {
        match self {
            Error::IndexNotFound(_) | Error::ResourceNotFound(_) | Error::AliasesNotFound(_) => 404,
            Error::VersionConflict(..) => 409,
            Error::Engine(_) => 500,
            _ => 400,
        }
    }

    /// The `error` object of an Elasticsearch response (`type`, `reason`, `root_cause`, plus
    /// the index keys `index_not_found_exception` carries).
    pub fn to_es_json(&self) -> serde_json::Value {
        let mut cause = serde_json::Map::new();
        cause.insert("type".into(), self.es_type().into());
        cause.insert("reason".into(), self.to_string().into());
        if let Error::IndexNotFound(name) = self {
            cause.insert("resource.type".into(), "index_or_alias".into());
            cause.insert("resource.id".into(), name.clone().into());
            cause.insert("index_uuid".into(), "_na_".into());
            cause.insert("index".into(), name.clone().into());
        }
        if let Error::TooManyBuckets(_) = self {
            cause.insert("max_buckets".into(), 65_536.into());
        }
        let mut top = cause.clone();
        top.insert(
            "root_cause".into(),
            serde_json::Value::Array(vec![serde_json::Value::Object(cause)]),
        );
        serde_json::Value::Object(top)
    }
}

impl From<tantivy::TantivyError> for Error {
    fn from(e: tantivy::TantivyError) -> Self {
        Error::Engine(e.to_string().to_lowercase())
    }
}

/// The crate's result type.
pub type Result<T> = std::result::Result<T, Error>;
