//! Type names as CAST, `::` and CREATE TABLE write them: `BIGINT`, `DOUBLE PRECISION`,
//! `VARCHAR(20)`, `DECIMAL(10, 2)`, `TIMESTAMP WITHOUT TIME ZONE`, upper-cased with single
//! spaces. Any word is read as a type name (the binder refuses the types it does not know).

use super::ast::DataType;
use super::lexer::TokenKind;
use super::parser::Parser;
use crate::error::SqlError;

impl Parser {
    /// A type name: `BIGINT`, `DOUBLE PRECISION`, `VARCHAR(20)`, `DECIMAL(10, 2)`,
    /// `TIMESTAMP WITHOUT TIME ZONE`, upper-cased.
    pub fn data_type(&mut self) -> Result<DataType, SqlError> {
        let t = self.peek().clone();
        if t.kind != TokenKind::Word {
            return Err(self.expected("a data type name"));
        }
        self.advance();
        let mut name = t.text.to_ascii_uppercase();
        match name.as_str() {
            "DOUBLE" if self.eat_keyword("PRECISION") => name.push_str(" PRECISION"),
            "CHARACTER" | "CHAR" if self.eat_keyword("VARYING") => name.push_str(" VARYING"),
            _ => {}
        }
        let args = self.type_args()?;
        if name == "TIMESTAMP" || name == "TIME" {
            if self.eat_keywords(&["WITH", "TIME", "ZONE"]) {
                name.push_str(" WITH TIME ZONE");
            } else if self.eat_keywords(&["WITHOUT", "TIME", "ZONE"]) {
                name.push_str(" WITHOUT TIME ZONE");
            }
        }
        Ok(DataType { name, args })
    }

    /// `(20)` or `(10, 2)` after a type name; none when no parenthesis follows.
    fn type_args(&mut self) -> Result<Vec<u64>, SqlError> {
        if !self.eat_symbol("(") {
            return Ok(Vec::new());
        }
        let mut args = Vec::new();
        loop {
            let t = self.peek().clone();
            match t.text.parse::<u64>() {
                Ok(n) if t.kind == TokenKind::Number => {
                    self.advance();
                    args.push(n);
                }
                _ => return Err(self.expected("literal int")),
            }
            if !self.eat_symbol(",") {
                break;
            }
        }
        self.expect_symbol(")")?;
        Ok(args)
    }
}
