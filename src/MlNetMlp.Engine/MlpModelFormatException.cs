using System;

namespace MlNetMlp.Engine;

/// <summary>
/// A saved model could not be read: the bytes are not an MlNetMlp model, are truncated or corrupted, come from an
/// unsupported format version, or describe an impossible network. The message says which.
/// <para>
/// A <see cref="FormatException"/>, as ML.NET's own errors for corrupt model files are
/// (<see cref="System.IO.InvalidDataException"/> would fit as well, but it is sealed).
/// </para>
/// </summary>
public sealed class MlpModelFormatException : FormatException
{
    /// <summary>Creates the exception with its message.</summary>
    public MlpModelFormatException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its message and the exception that caused it.</summary>
    public MlpModelFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
