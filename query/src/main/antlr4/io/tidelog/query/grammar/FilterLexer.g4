// The tokens of the filter language (a documented subset of Milvus's boolean expressions; see the package
// documentation of io.tidelog.query). Keywords are case-insensitive, field names are not (the token keeps its
// text). The last rule turns any other character into a token, so the lexer never reports an error of its
// own: the parser reports it, with its position.
lexer grammar FilterLexer;

options { caseInsensitive = true; }

AND      : 'and' | '&&' ;
OR       : 'or' | '||' ;
NOT      : 'not' | '!' ;
IN       : 'in' ;
LIKE     : 'like' ;
IS       : 'is' ;
NULL     : 'null' ;
TRUE     : 'true' ;
FALSE    : 'false' ;

EQ       : '==' ;
NE       : '!=' ;
LE       : '<=' ;
LT       : '<' ;
GE       : '>=' ;
GT       : '>' ;

LPAREN   : '(' ;
RPAREN   : ')' ;
LBRACKET : '[' ;
RBRACKET : ']' ;
COMMA    : ',' ;
MINUS    : '-' ;
PLUS     : '+' ;

FLOAT    : DIGITS '.' DIGITS? EXPONENT? | '.' DIGITS EXPONENT? | DIGITS EXPONENT ;
INT      : DIGITS ;

// A backslash escapes the next character; the escapes themselves are decoded by the parser's caller.
STRING   : '"' ( ~["\\\r\n] | '\\' . )* '"'
         | '\'' ( ~['\\\r\n] | '\\' . )* '\''
         ;

IDENTIFIER : [a-z_] [a-z_0-9]* ;

WS       : [ \t\r\n]+ -> skip ;

UNEXPECTED : . ;

fragment DIGITS   : [0-9]+ ;
fragment EXPONENT : 'e' [+-]? DIGITS ;
