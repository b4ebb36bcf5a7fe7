/**
 * The file formats of historical data: what the flusher writes to object storage and what a query node
 * reads back, laid out as {@link io.tidelog.parquet.ParquetLayout} says.
 * <ul>
 *   <li>Writing: {@link io.tidelog.parquet.SegmentParquetWriter} (a sealed segment's rows),
 *       {@link io.tidelog.parquet.DeleteLogWriter} (a vchannel's deletes), the
 *       {@link io.tidelog.parquet.SegmentManifest} that lists them and {@link io.tidelog.parquet.SegmentKeys}.
 *   <li>Reading: {@link io.tidelog.parquet.SegmentFileReader} (rows as wire-form columns, a row group at a
 *       time, projections, files older than the schema), {@link io.tidelog.parquet.DeleteLogReader}, and
 *       {@link io.tidelog.parquet.FileChecksum} to check a downloaded file against its manifest.
 * </ul>
 *
 * <p><b>No Hadoop at run time.</b> parquet-java is the library, Hadoop only on the compile path (javac
 * needs its types to resolve parquet-java's overloads); the module's tests run with Hadoop removed from
 * the class path, which proves it. Writing goes through {@code ParquetWriter} with a plain configuration
 * and {@link io.tidelog.parquet.ZstdCodecFactory}. Reading cannot go through {@code ParquetFileReader}:
 * the {@code ParquetReadOptions} it needs can only be built by a builder that makes Hadoop's codec factory
 * and loads {@code ParquetInputFormat} (a Hadoop {@code FileInputFormat}), so it fails with
 * {@code NoClassDefFoundError} without Hadoop. The readers therefore use the parquet-java parts below
 * that class, which need no Hadoop (its footer parser and its column reader with every encoding), and
 * frame a column chunk's pages themselves; {@link io.tidelog.parquet.SegmentFileReader} says more, and why
 * neither DuckDB nor a reader of our own was the better choice.
 */
package io.tidelog.parquet;
