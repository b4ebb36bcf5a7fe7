package io.tidelog.query;

/**
 * A place in a filter expression, as error messages print it ({@code 1:14}): the line and the column, both
 * counted from 1, the column in Unicode code points (a character outside the BMP counts once).
 */
record Position(int line, int column) {
    @Override
    public String toString() {
        return line + ":" + column;
    }
}
