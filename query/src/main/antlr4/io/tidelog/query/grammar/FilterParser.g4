// The syntax of the filter language. Precedence, loosest first: or, and, not, then one predicate. A `not`
// chain is a loop (no recursion), and/or chains are loops too, so only parentheses nest; their depth is
// bounded before parsing. Every predicate starts with its operand, and the rest is chosen by one or two
// tokens, so the parser predicts in SLL mode without backtracking.
parser grammar FilterParser;

options { tokenVocab = FilterLexer; }

filter        : orExpr EOF ;

orExpr        : andExpr ( OR andExpr )* ;

andExpr       : notExpr ( AND notExpr )* ;

notExpr       : NOT* primary ;

primary       : LPAREN orExpr RPAREN
              | predicate
              ;

predicate     : operand predicateTail? ;

predicateTail : compareOp operand ( compareOp operand )?                      # comparison
              | NOT? IN LBRACKET ( literal ( COMMA literal )* COMMA? )? RBRACKET  # inList
              | NOT? LIKE STRING                                              # like
              | IS NOT? NULL                                                  # isNull
              ;

compareOp     : EQ | NE | LT | LE | GT | GE ;

operand       : field | literal ;

field         : IDENTIFIER ( LBRACKET pathStep RBRACKET )* ;

pathStep      : STRING | INT ;

literal       : ( MINUS | PLUS )? ( INT | FLOAT )
              | STRING
              | TRUE
              | FALSE
              ;
