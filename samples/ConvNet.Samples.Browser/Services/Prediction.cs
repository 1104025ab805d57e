namespace ConvNet.Samples.Browser.Services;

/// <summary>What the classifier says about one image.</summary>
/// <param name="Class">The arg-max class.</param>
/// <param name="Probabilities">softmax of the ten logits.</param>
/// <param name="FeatureMaps">C1's six output maps, each min–max scaled to 0–255 bytes (row-major).</param>
/// <param name="MapRows">Height of a feature map.</param>
/// <param name="MapCols">Width of a feature map.</param>
/// <param name="Milliseconds">Time of the Predict call.</param>
public sealed record Prediction(int Class, float[] Probabilities, byte[][] FeatureMaps, int MapRows, int MapCols, double Milliseconds);
