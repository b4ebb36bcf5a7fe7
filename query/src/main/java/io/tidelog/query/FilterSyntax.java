package io.tidelog.query;

import io.tidelog.common.StreamingException;
import io.tidelog.query.Expr.FieldRef;
import io.tidelog.query.Expr.Literal;
import io.tidelog.query.Expr.Operand;
import io.tidelog.query.Expr.PathStep;
import io.tidelog.query.grammar.FilterLexer;
import io.tidelog.query.grammar.FilterParser;
import java.util.ArrayList;
import java.util.List;
import org.antlr.v4.runtime.BailErrorStrategy;
import org.antlr.v4.runtime.BaseErrorListener;
import org.antlr.v4.runtime.CharStreams;
import org.antlr.v4.runtime.CommonTokenStream;
import org.antlr.v4.runtime.DefaultErrorStrategy;
import org.antlr.v4.runtime.RecognitionException;
import org.antlr.v4.runtime.Recognizer;
import org.antlr.v4.runtime.Token;
import org.antlr.v4.runtime.atn.PredictionMode;
import org.antlr.v4.runtime.misc.ParseCancellationException;
import org.antlr.v4.runtime.tree.TerminalNode;

/**
 * Turns the text of a filter expression into its syntax tree ({@link Expr}), or refuses it with
 * {@code INVALID_ARGUMENT} and the position of the problem.
 *
 * <p>The limits are checked before the parser runs, on the token list (the lexer does not recurse): the length
 * ({@link Filter#MAX_EXPRESSION_LENGTH} chars) and the nesting of parentheses ({@link Filter#MAX_NESTING_DEPTH}),
 * which is the only recursion of the grammar, so no expression can exhaust the stack. Parsing is two-stage, as
 * ANTLR recommends: SLL prediction with bail-out first (linear for this grammar), and full LL only to report an
 * error when SLL failed. Stateless; thread-safe.
 */
final class FilterSyntax {
    private FilterSyntax() {
    }

    static Expr parse(String expression) {
        if (expression.length() > Filter.MAX_EXPRESSION_LENGTH) {
            throw StreamingException.invalidArgument("the expression has " + expression.length()
                    + " characters, more than the limit of " + Filter.MAX_EXPRESSION_LENGTH);
        }
        FilterLexer lexer = new FilterLexer(CharStreams.fromString(expression));
        lexer.removeErrorListeners();
        CommonTokenStream tokens = new CommonTokenStream(lexer);
        tokens.fill();
        checkTokens(tokens.getTokens());
        FilterParser.FilterContext tree = parseTokens(tokens);
        return orExpr(tree.orExpr());
    }

    private static void checkTokens(List<Token> tokens) {
        int depth = 0;
        for (Token t : tokens) {
            switch (t.getType()) {
                case FilterLexer.UNEXPECTED -> {
                    String c = t.getText();
                    throw error(at(t), c.equals("\"") || c.equals("'") ? "unterminated string"
                            : "unexpected character '" + c + "'");
                }
                case FilterLexer.LPAREN -> {
                    if (++depth > Filter.MAX_NESTING_DEPTH) {
                        throw error(at(t), "parentheses nest deeper than the limit of " + Filter.MAX_NESTING_DEPTH);
                    }
                }
                case FilterLexer.RPAREN -> depth--;
                case Token.EOF -> {
                    if (tokens.size() == 1) {
                        throw StreamingException.invalidArgument("the expression is empty");
                    }
                }
                default -> {
                }
            }
        }
    }

    private static FilterParser.FilterContext parseTokens(CommonTokenStream tokens) {
        FilterParser parser = new FilterParser(tokens);
        parser.removeErrorListeners();
        parser.getInterpreter().setPredictionMode(PredictionMode.SLL);
        parser.setErrorHandler(new BailErrorStrategy());
        try {
            return parser.filter();
        } catch (ParseCancellationException sllFailed) {
            tokens.seek(0);
            parser.reset();
            parser.getInterpreter().setPredictionMode(PredictionMode.LL);
            parser.setErrorHandler(new DefaultErrorStrategy());
            parser.addErrorListener(new BaseErrorListener() {
                @Override
                public void syntaxError(Recognizer<?, ?> recognizer, Object offending, int line, int column,
                                        String msg, RecognitionException e) {
                    throw error(new Position(line, column + 1), "syntax error: " + msg);
                }
            });
            return parser.filter();
        }
    }

    private static Expr orExpr(FilterParser.OrExprContext ctx) {
        List<Expr> terms = new ArrayList<>();
        for (FilterParser.AndExprContext and : ctx.andExpr()) {
            terms.add(andExpr(and));
        }
        return terms.size() == 1 ? terms.get(0) : new Expr.Or(List.copyOf(terms));
    }

    private static Expr andExpr(FilterParser.AndExprContext ctx) {
        List<Expr> terms = new ArrayList<>();
        for (FilterParser.NotExprContext not : ctx.notExpr()) {
            terms.add(notExpr(not));
        }
        return terms.size() == 1 ? terms.get(0) : new Expr.And(List.copyOf(terms));
    }

    private static Expr notExpr(FilterParser.NotExprContext ctx) {
        FilterParser.PrimaryContext primary = ctx.primary();
        Expr inner = primary.orExpr() != null ? orExpr(primary.orExpr()) : predicate(primary.predicate());
        return ctx.NOT().size() % 2 == 0 ? inner : new Expr.Not(inner);
    }

    private static Expr predicate(FilterParser.PredicateContext ctx) {
        Operand operand = operand(ctx.operand());
        FilterParser.PredicateTailContext tail = ctx.predicateTail();
        if (tail == null) {
            return new Expr.Bare(operand);
        }
        if (tail instanceof FilterParser.ComparisonContext c) {
            return comparison(operand, c);
        }
        if (tail instanceof FilterParser.InListContext in) {
            if (in.literal().size() > Filter.MAX_IN_LIST) {
                throw error(at(in.IN().getSymbol()), "the list has " + in.literal().size()
                        + " values, more than the limit of " + Filter.MAX_IN_LIST);
            }
            List<Literal> values = new ArrayList<>();
            for (FilterParser.LiteralContext l : in.literal()) {
                values.add(literal(l));
            }
            return new Expr.In(operand, List.copyOf(values), in.NOT() != null);
        }
        if (tail instanceof FilterParser.LikeContext like) {
            Token pattern = like.STRING().getSymbol();
            return new Expr.Like(operand, StringLiterals.decode(pattern.getText(), at(pattern)), like.NOT() != null,
                    at(pattern));
        }
        FilterParser.IsNullContext isNull = (FilterParser.IsNullContext) tail;
        return new Expr.IsNull(operand, isNull.NOT() != null);
    }

    private static Expr comparison(Operand left, FilterParser.ComparisonContext ctx) {
        CompareOp first = compareOp(ctx.compareOp(0));
        Operand middle = operand(ctx.operand(0));
        if (ctx.compareOp().size() == 1) {
            return new Expr.Comparison(left, first, middle);
        }
        CompareOp second = compareOp(ctx.compareOp(1));
        if (!(first.isLess() && second.isLess()) && !(first.isGreater() && second.isGreater())) {
            throw error(at(ctx.compareOp(1).getStart()), "a range chains two of < and <=, or two of > and >=, not "
                    + first.symbol() + " and " + second.symbol());
        }
        return new Expr.Range(left, first, middle, second, operand(ctx.operand(1)));
    }

    private static CompareOp compareOp(FilterParser.CompareOpContext ctx) {
        return switch (ctx.getStart().getType()) {
            case FilterLexer.EQ -> CompareOp.EQ;
            case FilterLexer.NE -> CompareOp.NE;
            case FilterLexer.LT -> CompareOp.LT;
            case FilterLexer.LE -> CompareOp.LE;
            case FilterLexer.GT -> CompareOp.GT;
            case FilterLexer.GE -> CompareOp.GE;
            default -> throw new IllegalStateException("not a comparison: " + ctx.getText());
        };
    }

    private static Operand operand(FilterParser.OperandContext ctx) {
        return ctx.field() != null ? field(ctx.field()) : literal(ctx.literal());
    }

    private static FieldRef field(FilterParser.FieldContext ctx) {
        Token name = ctx.IDENTIFIER().getSymbol();
        if (ctx.pathStep().size() > Filter.MAX_PATH_LENGTH) {
            throw error(at(name), "the JSON path of '" + name.getText() + "' has " + ctx.pathStep().size()
                    + " steps, more than the limit of " + Filter.MAX_PATH_LENGTH);
        }
        List<PathStep> path = new ArrayList<>();
        for (FilterParser.PathStepContext step : ctx.pathStep()) {
            Token t = step.getStart();
            if (t.getType() == FilterLexer.STRING) {
                path.add(new Expr.Key(StringLiterals.decode(t.getText(), at(t))));
            } else {
                try {
                    path.add(new Expr.Index(Integer.parseInt(t.getText())));
                } catch (NumberFormatException e) {
                    throw error(at(t), "the array index " + t.getText() + " is too large");
                }
            }
        }
        return new FieldRef(name.getText(), List.copyOf(path), at(name));
    }

    private static Literal literal(FilterParser.LiteralContext ctx) {
        Position at = at(ctx.getStart());
        if (ctx.STRING() != null) {
            return new Expr.StringLiteral(StringLiterals.decode(ctx.STRING().getText(), at), at);
        }
        if (ctx.TRUE() != null || ctx.FALSE() != null) {
            return new Expr.BoolLiteral(ctx.TRUE() != null, at);
        }
        String sign = ctx.MINUS() != null ? "-" : "";
        TerminalNode integer = ctx.INT();
        if (integer != null) {
            try {
                return new Expr.IntLiteral(Long.parseLong(sign + integer.getText()), at);
            } catch (NumberFormatException e) {
                throw error(at, "the integer literal " + sign + integer.getText() + " is outside the INT64 range");
            }
        }
        String text = sign + ctx.FLOAT().getText();
        double value = Double.parseDouble(text);
        if (Double.isInfinite(value)) {
            throw error(at, "the float literal " + text + " is outside the DOUBLE range");
        }
        return new Expr.FloatLiteral(value, text, at);
    }

    private static Position at(Token t) {
        return new Position(t.getLine(), t.getCharPositionInLine() + 1);
    }

    static StreamingException error(Position at, String what) {
        return StreamingException.invalidArgument(what + " at " + at);
    }
}
