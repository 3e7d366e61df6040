//! One transaction on either store, SQLite or PostgreSQL, through one small
//! interface: statements with numbered parameters (`?1`, `?2`, …, written
//! once and rewritten to PostgreSQL's `$1` here), four value kinds, rows
//! read by column. The tables' code is written once against [`Tx`]; what
//! differs between the two databases (the schema's types, the row lock a
//! serialisation point takes) is asked of [`Tx::backend`].

use std::cell::{Cell, RefCell};

use jpki_reference::Result;

use super::fault;

/// Which database a transaction runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded file (WAL), one writer at a time.
    Sqlite,
    /// A PostgreSQL server several instances share; serialisable
    /// transactions, retried when the database says they conflicted.
    Postgres,
}

/// A value bound to a parameter or read from a column.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// SQL `NULL`.
    Null,
    /// An integer (SQLite INTEGER, PostgreSQL BIGINT).
    Int(i64),
    /// Bytes (SQLite BLOB, PostgreSQL BYTEA).
    Bytes(Vec<u8>),
    /// Text.
    Text(String),
}

/// Something that binds as a [`Value`].
pub trait Arg {
    /// The value bound.
    fn arg(&self) -> Value;
}

macro_rules! int_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn arg(&self) -> Value {
                // stored integers are clock readings, counters and sizes, all below 2^63
                Value::Int(*self as i64)
            }
        }
    )*};
}
int_arg!(i64, u64, u32, u16, usize);

impl Arg for bool {
    fn arg(&self) -> Value {
        Value::Int(i64::from(*self))
    }
}
impl Arg for [u8] {
    fn arg(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl Arg for Vec<u8> {
    fn arg(&self) -> Value {
        Value::Bytes(self.clone())
    }
}
impl<const N: usize> Arg for [u8; N] {
    fn arg(&self) -> Value {
        Value::Bytes(self.to_vec())
    }
}
impl Arg for str {
    fn arg(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl Arg for String {
    fn arg(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl<T: Arg + ?Sized> Arg for &T {
    fn arg(&self) -> Value {
        (**self).arg()
    }
}
impl<T: Arg> Arg for Option<T> {
    fn arg(&self) -> Value {
        self.as_ref().map_or(Value::Null, Arg::arg)
    }
}

/// The parameters of a statement: `args![a, b]` binds `a` as `?1`, `b` as `?2`.
#[macro_export]
macro_rules! args {
    ($($value:expr),* $(,)?) => {
        &[$($crate::store::sql::Arg::arg(&$value)),*]
    };
}

/// One row of a query's answer.
#[derive(Clone, Debug)]
pub struct Row(Vec<Value>);

impl Row {
    fn at(&self, column: usize) -> Result<&Value> {
        self.0.get(column).ok_or_else(|| fault(format!("no column {column}")))
    }

    /// Column `column` as bytes.
    pub fn bytes(&self, column: usize) -> Result<Vec<u8>> {
        match self.at(column)? {
            Value::Bytes(bytes) => Ok(bytes.clone()),
            other => Err(fault(format!("column {column}: bytes expected, found {other:?}"))),
        }
    }

    /// Column `column` as bytes, an integer read as its eight big-endian bytes.
    pub fn key(&self, column: usize) -> Result<Vec<u8>> {
        match self.at(column)? {
            Value::Int(n) => Ok(n.to_be_bytes().to_vec()),
            _ => self.bytes(column),
        }
    }

    /// Column `column` as an integer.
    pub fn int(&self, column: usize) -> Result<i64> {
        match self.at(column)? {
            Value::Int(n) => Ok(*n),
            other => Err(fault(format!("column {column}: an integer expected, found {other:?}"))),
        }
    }

    /// Column `column` as an integer, or `None` for NULL.
    pub fn opt_int(&self, column: usize) -> Result<Option<i64>> {
        match self.at(column)? {
            Value::Null => Ok(None),
            _ => self.int(column).map(Some),
        }
    }

    /// Column `column` as text.
    pub fn text(&self, column: usize) -> Result<String> {
        match self.at(column)? {
            Value::Text(text) => Ok(text.clone()),
            other => Err(fault(format!("column {column}: text expected, found {other:?}"))),
        }
    }

    /// Column `column` as text, or `None` for NULL.
    pub fn opt_text(&self, column: usize) -> Result<Option<String>> {
        match self.at(column)? {
            Value::Null => Ok(None),
            _ => self.text(column).map(Some),
        }
    }
}

/// A PostgreSQL connection and the statements prepared on it, each once
/// (a statement sent as text is parsed and planned at every use: one more
/// round trip each).
pub struct PgConnection {
    /// The client.
    pub client: postgres::Client,
    prepared: std::collections::HashMap<String, postgres::Statement>,
}

impl PgConnection {
    /// `client`, nothing prepared yet.
    pub fn new(client: postgres::Client) -> PgConnection {
        PgConnection { client, prepared: std::collections::HashMap::new() }
    }

    /// `sql` prepared on this connection (its `?N` rewritten to `$N`).
    fn statement(&mut self, sql: &str) -> std::result::Result<postgres::Statement, postgres::Error> {
        if let Some(statement) = self.prepared.get(sql) {
            return Ok(statement.clone());
        }
        let statement = self.client.prepare(&postgres_sql(sql))?;
        self.prepared.insert(sql.to_owned(), statement.clone());
        Ok(statement)
    }
}

/// The kinds of PostgreSQL transaction the store begins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum PgKind {
    /// A step that may write: serialisable, and queued behind the other
    /// instances' writing steps (the `write_queue` table's lock: the audit
    /// chain orders every change).
    Step,
    /// Reads only: serialisable, read only, queued behind nothing.
    Read,
    /// Work that takes the row locks it needs (the delivery worker).
    RowLocks,
}

/// One open transaction of a step (committed or rolled back by the store).
pub struct Tx<'c> {
    inner: Inner<'c>,
    /// Set when PostgreSQL refused a statement because the transaction
    /// conflicted with another (serialisation failure, deadlock): the
    /// store then runs the step again.
    conflicted: Cell<bool>,
    /// Set when any PostgreSQL statement failed: the transaction is aborted,
    /// and its COMMIT would only roll back, so [`Tx::commit`] says it failed
    /// even if the step swallowed the error.
    failed: Cell<bool>,
}

enum Inner<'c> {
    Sqlite(Option<rusqlite::Transaction<'c>>),
    /// The client inside `BEGIN`; `ROLLBACK` when dropped unfinished (a
    /// step that failed or panicked leaves nothing, and the connection
    /// ready for the next).
    Postgres(&'c RefCell<PgConnection>, Cell<bool>),
}

impl<'c> Tx<'c> {
    pub(super) fn sqlite(tx: rusqlite::Transaction<'c>) -> Tx<'c> {
        Tx { inner: Inner::Sqlite(Some(tx)), conflicted: Cell::new(false), failed: Cell::new(false) }
    }

    /// Begins a transaction on `client` of `kind`.
    pub(super) fn postgres(client: &'c RefCell<PgConnection>, kind: PgKind) -> Result<Tx<'c>> {
        let begin = match kind {
            // the table lock before any query, so before the snapshot: the
            // step sees every step committed before it (see audit::append)
            PgKind::Step => "BEGIN ISOLATION LEVEL SERIALIZABLE; LOCK TABLE write_queue IN SHARE ROW EXCLUSIVE MODE",
            PgKind::Read => "BEGIN ISOLATION LEVEL SERIALIZABLE READ ONLY",
            PgKind::RowLocks => "BEGIN ISOLATION LEVEL READ COMMITTED",
        };
        let mut connection = client.borrow_mut();
        if let Err(error) = connection.client.batch_execute(begin) {
            // a BEGIN that went through before the lock failed leaves the
            // connection inside an aborted transaction: end it
            let _ = connection.client.batch_execute("ROLLBACK");
            return Err(pg_fault(error));
        }
        drop(connection);
        Ok(Tx {
            inner: Inner::Postgres(client, Cell::new(false)),
            conflicted: Cell::new(false),
            failed: Cell::new(false),
        })
    }

    /// Commits; `Err(true)` when PostgreSQL refused the commit as conflicting.
    pub(super) fn commit(mut self) -> std::result::Result<(), (bool, String)> {
        match &mut self.inner {
            Inner::Sqlite(tx) => match tx.take() {
                Some(tx) => tx.commit().map_err(|e| (false, e.to_string())),
                None => Err((false, "committed twice".into())),
            },
            Inner::Postgres(client, done) => {
                done.set(true);
                if self.failed.get() {
                    let _ = client.borrow_mut().client.batch_execute("ROLLBACK");
                    return Err((self.conflicted.get(), "a statement of the transaction failed: rolled back".into()));
                }
                client.borrow_mut().client.batch_execute("COMMIT").map_err(|e| (is_conflict(&e), describe(&e)))
            }
        }
    }

    /// Whether a statement of this transaction conflicted with another's.
    pub fn conflicted(&self) -> bool {
        self.conflicted.get()
    }

    /// The database this transaction runs on.
    pub fn backend(&self) -> Backend {
        match self.inner {
            Inner::Sqlite(_) => Backend::Sqlite,
            Inner::Postgres(..) => Backend::Postgres,
        }
    }

    /// ` FOR UPDATE` on PostgreSQL (a row lock until commit), nothing on
    /// SQLite (whose write transaction already excludes every other writer).
    pub fn for_update(&self) -> &'static str {
        match self.backend() {
            Backend::Sqlite => "",
            Backend::Postgres => " FOR UPDATE",
        }
    }

    fn pg_error(&self, error: postgres::Error) -> jpki_reference::Error {
        self.failed.set(true);
        if is_conflict(&error) {
            self.conflicted.set(true);
        }
        pg_fault(error)
    }

    /// Runs one statement; how many rows it changed.
    pub fn execute(&self, sql: &str, args: &[Value]) -> Result<u64> {
        match &self.inner {
            Inner::Sqlite(tx) => {
                let tx = tx.as_ref().ok_or_else(|| fault("the transaction ended"))?;
                let mut statement = tx.prepare_cached(sql).map_err(fault)?;
                let changed = statement.execute(rusqlite::params_from_iter(args.iter())).map_err(fault)?;
                Ok(changed as u64)
            }
            Inner::Postgres(client, _) => {
                let params = pg_params(args);
                let mut connection = client.borrow_mut();
                let statement = connection.statement(sql).map_err(|e| self.pg_error(e))?;
                connection.client.execute(&statement, &params).map_err(|e| self.pg_error(e))
            }
        }
    }

    /// Runs one query; every row of its answer.
    pub fn query(&self, sql: &str, args: &[Value]) -> Result<Vec<Row>> {
        match &self.inner {
            Inner::Sqlite(tx) => {
                let tx = tx.as_ref().ok_or_else(|| fault("the transaction ended"))?;
                let mut statement = tx.prepare_cached(sql).map_err(fault)?;
                let width = statement.column_count();
                let rows = statement
                    .query_map(rusqlite::params_from_iter(args.iter()), |row| {
                        (0..width).map(|i| row.get::<_, rusqlite::types::Value>(i).map(from_sqlite)).collect()
                    })
                    .map_err(fault)?;
                rows.map(|row| row.map_err(fault).and_then(|values: Result<Vec<Value>>| values.map(Row))).collect()
            }
            Inner::Postgres(client, _) => {
                let params = pg_params(args);
                let mut connection = client.borrow_mut();
                let statement = connection.statement(sql).map_err(|e| self.pg_error(e))?;
                let rows = connection.client.query(&statement, &params).map_err(|e| self.pg_error(e))?;
                rows.iter().map(from_postgres).collect()
            }
        }
    }

    /// The first row of a query's answer, if any.
    pub fn query_opt(&self, sql: &str, args: &[Value]) -> Result<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// Runs several statements without parameters (a schema migration, a reset).
    pub fn batch(&self, sql: &str) -> Result<()> {
        match &self.inner {
            Inner::Sqlite(tx) => {
                tx.as_ref().ok_or_else(|| fault("the transaction ended"))?.execute_batch(sql).map_err(fault)
            }
            Inner::Postgres(client, _) => client.borrow_mut().client.batch_execute(sql).map_err(|e| self.pg_error(e)),
        }
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if let Inner::Postgres(client, done) = &self.inner {
            if !done.get() {
                if let Ok(mut connection) = client.try_borrow_mut() {
                    // a connection that cannot roll back is broken; its next BEGIN says so
                    let _ = connection.client.batch_execute("ROLLBACK");
                }
            }
        }
    }
}

/// A PostgreSQL error with what the server said (its `Display` says only "db error").
pub fn describe(error: &postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format!("{} ({}): {}", db.message(), db.code().code(), db.detail().unwrap_or_default()),
        None => error.to_string(),
    }
}

/// [`describe`]d as the server's fault.
pub fn pg_fault(error: postgres::Error) -> jpki_reference::Error {
    fault(describe(&error))
}

fn is_conflict(error: &postgres::Error) -> bool {
    use postgres::error::SqlState;
    matches!(error.code(), Some(code) if *code == SqlState::T_R_SERIALIZATION_FAILURE || *code == SqlState::T_R_DEADLOCK_DETECTED)
}

/// `?N` → `$N` (the statements here hold no `?` inside quoted text).
fn postgres_sql(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '?' && chars.peek().is_some_and(char::is_ascii_digit) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

fn from_sqlite(value: rusqlite::types::Value) -> Result<Value> {
    use rusqlite::types::Value as V;
    match value {
        V::Null => Ok(Value::Null),
        V::Integer(n) => Ok(Value::Int(n)),
        V::Blob(bytes) => Ok(Value::Bytes(bytes)),
        V::Text(text) => Ok(Value::Text(text)),
        V::Real(_) => Err(fault("a REAL column: the schema has none")),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::{ToSqlOutput, ValueRef};
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(n) => ValueRef::Integer(*n),
            Value::Bytes(bytes) => ValueRef::Blob(bytes),
            Value::Text(text) => ValueRef::Text(text.as_bytes()),
        }))
    }
}

fn pg_params(args: &[Value]) -> Vec<&(dyn postgres::types::ToSql + Sync)> {
    args.iter().map(|value| value as &(dyn postgres::types::ToSql + Sync)).collect()
}

fn from_postgres(row: &postgres::Row) -> Result<Row> {
    use postgres::types::Type;
    let mut values = Vec::with_capacity(row.len());
    for (i, column) in row.columns().iter().enumerate() {
        let value = match *column.type_() {
            Type::INT8 => row.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int)),
            Type::INT4 => row.try_get::<_, Option<i32>>(i).map(|v| v.map(|n| Value::Int(n.into()))),
            Type::INT2 => row.try_get::<_, Option<i16>>(i).map(|v| v.map(|n| Value::Int(n.into()))),
            Type::BOOL => row.try_get::<_, Option<bool>>(i).map(|v| v.map(|b| Value::Int(b.into()))),
            Type::BYTEA => row.try_get::<_, Option<Vec<u8>>>(i).map(|v| v.map(Value::Bytes)),
            Type::TEXT | Type::VARCHAR | Type::NAME => row.try_get::<_, Option<String>>(i).map(|v| v.map(Value::Text)),
            ref other => return Err(fault(format!("column {i}: type {other} is not in the schema"))),
        };
        values.push(value.map_err(fault)?.unwrap_or(Value::Null));
    }
    Ok(Row(values))
}

impl postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>> {
        use postgres::types::{IsNull, Type};
        match self {
            Value::Null => Ok(IsNull::Yes),
            Value::Int(n) => match *ty {
                Type::INT8 => n.to_sql(ty, out),
                Type::INT4 => i32::try_from(*n)?.to_sql(ty, out),
                Type::INT2 => i16::try_from(*n)?.to_sql(ty, out),
                Type::BOOL => (*n != 0).to_sql(ty, out),
                ref other => Err(format!("an integer bound to a {other} parameter").into()),
            },
            Value::Bytes(bytes) if *ty == Type::BYTEA => bytes.as_slice().to_sql(ty, out),
            Value::Text(text) if matches!(*ty, Type::TEXT | Type::VARCHAR) => text.as_str().to_sql(ty, out),
            Value::Bytes(_) | Value::Text(_) => Err(format!("{self:?} bound to a {ty} parameter").into()),
        }
    }

    fn accepts(_: &postgres::types::Type) -> bool {
        // checked per value in `to_sql`: a mismatch is an error, never a panic
        true
    }

    postgres::types::to_sql_checked!();
}

#[cfg(test)]
mod tests {
    use super::postgres_sql;

    #[test]
    fn numbered_parameters_become_dollar_parameters() {
        assert_eq!(
            postgres_sql("SELECT a FROM t WHERE b = ?1 AND c = ?12"),
            "SELECT a FROM t WHERE b = $1 AND c = $12"
        );
        assert_eq!(postgres_sql("SELECT '?' FROM t"), "SELECT '?' FROM t");
    }
}
