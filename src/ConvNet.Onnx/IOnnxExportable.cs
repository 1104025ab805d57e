namespace ConvNet.Onnx;

/// <summary>
/// Implemented by a layer of your own to export itself: emit its nodes through the builder and return the name of the
/// tensor it produces. (For a type you do not own, register an exporter with <see cref="OnnxExporter.Register{TLayer}"/>.)
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Emits the layer's ONNX nodes.</summary>
    /// <param name="builder">The graph being built.</param>
    /// <param name="input">The name of the input tensor [N, …inputShape].</param>
    /// <param name="inputShape">The per-sample input shape.</param>
    /// <returns>The name of the output tensor.</returns>
    string ExportOnnx(OnnxGraphBuilder builder, string input, int[] inputShape);
}
